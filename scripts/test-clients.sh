#!/usr/bin/env bash
# Tests the generated clients against a real server: builds cmd/modeplatform once, starts it on a
# free loopback port (built-in Mode emulator, demo workspace; one server per language), and runs
#   - clients/node: gen/ts type-checked with tsc, then the TypeScript test with @connectrpc/connect
#     over the Connect protocol (HTTP/1.1 and HTTP/2) and gRPC (node --test, through tsx);
#   - clients/python: gen/python with grpcio (Debian's /usr/bin/python3, unittest);
#   - the examples of README.md (clients/go/example, clients/node/example.ts,
#     clients/python/example.py), checking what they print and that README.md shows them as they are.
# Does its own set-up when needed: Debian's python3-grpcio and python3-protobuf, `npm ci`.
# Called by scripts/test.sh; runs on its own too. The servers are stopped on exit, however it ends.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n--> %s\n' "$*"; }

step "set-up"
./scripts/ensure-apt.sh python3-grpcio python3-protobuf
./scripts/ensure-npm.sh

tmp=$(mktemp -d)
server_pids=()
cleanup() {
  for pid in ${server_pids[@]+"${server_pids[@]}"}; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# start_server NAME: starts the binary on a free loopback port, logging to $tmp/NAME.log, and sets
# $addr to its address. Each language gets its own server: the emulator behind it keeps Mode's
# rate limit (40 requests per 10 s), which one suite alone stays within.
start_server() {
  local log="$tmp/$1.log" pid
  : >"$log"
  # No MODE_* variable reaches it: always the emulator, never real Mode.
  env $(env | sed -n 's/^\(MODE_[A-Za-z0-9_]*\)=.*/-u \1/p') \
    "$tmp/modeplatform" --listen 127.0.0.1:0 --admin-listen off </dev/null >/dev/null 2>"$log" &
  pid=$!
  server_pids+=("$pid")
  addr=
  for _ in $(seq 300); do
    addr=$(sed -n 's/.*"msg":"modeplatform listening".*"addr":"\([^"]*\)".*/\1/p' "$log" | head -n 1)
    [ -n "$addr" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if [ -z "$addr" ]; then
    echo "test-clients: the server did not start:" >&2
    cat "$log" >&2
    exit 1
  fi
  echo "$1 server on $addr"
}

step "build the server"
go build -o "$tmp/modeplatform" ./cmd/modeplatform

failed=()

step "TypeScript: tsc (gen/ts and clients/node)"
node_modules/.bin/tsc -p clients/node || failed+=(tsc)

step "TypeScript: node --test clients/node (Connect HTTP/1.1 + HTTP/2, gRPC)"
start_server node
MODEPLATFORM_ADDR=$addr timeout 300 node --import tsx --test clients/node/*.test.ts || failed+=(node)

step "Python: unittest clients/python (gRPC)"
start_server python
MODEPLATFORM_ADDR=$addr PYTHONPATH=gen/python PYTHONDONTWRITEBYTECODE=1 \
  timeout 300 /usr/bin/python3 -m unittest discover -s clients/python -v || failed+=(python)

step "examples (README.md): Go, TypeScript, Python"
start_server examples
# check_example NAME CMD...: runs an example against the examples server and checks what it prints
# (and that it ends: a stream left open would keep a program waiting).
check_example() {
  local name=$1 out
  shift
  echo "$name: $*"
  if ! out=$(MODEPLATFORM_ADDR=$addr timeout 120 "$@" 2>&1); then
    printf '%s\n' "$out" >&2
    failed+=("examples:$name")
    return
  fi
  printf '%s\n' "$out" | sed 's/^/    /'
  if ! printf '%s\n' "$out" | grep -qx 'workspace: Parch & Posey' ||
    ! printf '%s\n' "$out" | grep -qx 'run: STATE_SUCCEEDED' ||
    [ "$(printf '%s\n' "$out" | grep -cE ' West [0-9.]+$')" -ne 3 ]; then
    echo "test-clients: example $name printed something else than expected" >&2
    failed+=("examples:$name")
  fi
}
check_example go go run ./clients/go/example
check_example node node --import tsx clients/node/example.ts
check_example python env PYTHONPATH=gen/python PYTHONDONTWRITEBYTECODE=1 /usr/bin/python3 clients/python/example.py
# README.md shows the examples whole: keep its copies the same as the files.
for f in clients/go/example/main.go clients/node/example.ts clients/python/example.py; do
  if ! /usr/bin/python3 -c 'import sys; sys.exit(open(sys.argv[1]).read() not in open("README.md").read())' "$f"; then
    echo "test-clients: README.md does not show $f as it is: copy the file into its code block" >&2
    failed+=(readme)
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo >&2
  echo "test-clients: failed: ${failed[*]}" >&2
  # The log of the server behind each failure (the examples' labels are examples:NAME).
  for name in node python examples; do
    case " ${failed[*]} " in *" $name "* | *" $name:"*)
      echo "--- the $name server's log, last 100 lines:" >&2
      tail -n 100 "$tmp/$name.log" >&2 ;;
    esac
  done
  exit 1
fi
echo "test-clients: ok"
