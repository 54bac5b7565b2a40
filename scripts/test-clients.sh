#!/usr/bin/env bash
# Tests the generated clients against a real server: builds cmd/modeplatform once, starts it on a
# free loopback port (built-in Mode emulator, demo workspace; one server per language), and runs
#   - clients/node: gen/ts type-checked with tsc, then the TypeScript test with @connectrpc/connect
#     over the Connect protocol (HTTP/1.1 and HTTP/2) and gRPC (node --test, through tsx);
#   - clients/python: gen/python with grpcio (Debian's /usr/bin/python3, unittest);
#   - the examples of README.md (clients/go/example, clients/node/example.ts,
#     clients/python/example.py), checking what they print and that README.md shows them as they are;
#   - the client packages as an outside caller uses them, side by side with the above, against
#     servers started with a caller policy (a fresh key): the Python package installed into a fresh
#     virtual environment, its test and example run from a directory outside the repository; the
#     npm package packed (npm pack), installed from its tarball into an empty project, its test and
#     example compiled there against its .d.ts and run; the Go helper package built into a module
#     outside the repository (go.mod replace) and its example run. (The Go package's own tests run
#     in scripts/test.sh's go test.)
# Does its own set-up when needed: Debian's python3-grpcio, python3-protobuf, python3-venv,
# python3-setuptools, python3-wheel and python3-pandas, `npm ci`.
# Called by scripts/test.sh; runs on its own too. The servers are stopped on exit, however it ends.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n--> %s\n' "$*"; }

step "set-up"
./scripts/ensure-apt.sh python3-grpcio python3-protobuf python3-venv python3-setuptools python3-wheel python3-pandas
./scripts/ensure-npm.sh

tmp=$(mktemp -d)
server_pids=()
package_pids=()
cleanup() {
  for pid in ${package_pids[@]+"${package_pids[@]}"}; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  for pid in ${server_pids[@]+"${server_pids[@]}"}; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# start_server NAME [FLAG...]: starts the binary on a free loopback port with the flags, logging to
# $tmp/NAME.log, and sets $addr to its address. Each language gets its own server: the emulator
# behind it keeps Mode's rate limit (40 requests per 10 s), which one suite alone stays within.
start_server() {
  local log="$tmp/$1.log" pid
  shift
  : >"$log"
  # No MODE_* variable reaches it: always the emulator, never real Mode.
  env $(env | sed -n 's/^\(MODE_[A-Za-z0-9_]*\)=.*/-u \1/p') \
    "$tmp/modeplatform" --listen 127.0.0.1:0 --admin-listen off "$@" </dev/null >/dev/null 2>"$log" &
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
  echo "$(basename "$log" .log) server on $addr"
}

step "build the server"
go build -o "$tmp/modeplatform" ./cmd/modeplatform

failed=()

# check_output NAME OUTPUT: whether an example's output is what every example prints: the workspace,
# the run's end, and three rows of region West.
check_output() {
  printf '%s\n' "$2" | sed 's/^/    /'
  if ! printf '%s\n' "$2" | grep -qx 'workspace: Parch & Posey' ||
    ! printf '%s\n' "$2" | grep -qx 'run: STATE_SUCCEEDED' ||
    [ "$(printf '%s\n' "$2" | grep -cE ' West [0-9.]+$')" -ne 3 ]; then
    echo "test-clients: example $1 printed something else than expected" >&2
    return 1
  fi
}

# The client packages, each against its own server with a caller policy holding a fresh key, in
# the background beside the in-tree tests (their output is shown when they end).
version=$(cat clients/VERSION)
key="mp_$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')"
cat >"$tmp/policy.yaml" <<POLICY
callers:
  - name: package-tests
    keys: [sha256:$(printf %s "$key" | sha256sum | cut -d' ' -f1)]
    workspaces: [parch_and_posey]
    scopes: [read, run]
POLICY

# package_python ADDR: installs clients/python into a fresh virtual environment (Debian's grpcio,
# protobuf and pandas through --system-site-packages; no index: nothing is downloaded) and runs its
# test and example from a directory outside the repository.
package_python() {
  local venv="$tmp/python-venv" outside="$tmp/python-outside" out
  local start=$SECONDS
  /usr/bin/python3 -m venv --system-site-packages "$venv"
  "$venv/bin/pip" install --quiet --no-build-isolation --no-index --disable-pip-version-check ./clients/python
  mkdir "$outside"
  cp clients/python/tests/test_package.py clients/python/example_package.py "$outside/"
  (cd "$outside" && MODEPLATFORM_ADDR=$1 MODEPLATFORM_KEY=$key MODEPLATFORM_VERSION=$version PYTHONDONTWRITEBYTECODE=1 \
    timeout 300 "$venv/bin/python" -m unittest -v test_package)
  echo "example: python example_package.py"
  out=$(cd "$outside" && MODEPLATFORM_ADDR=$1 MODEPLATFORM_KEY=$key PYTHONDONTWRITEBYTECODE=1 timeout 120 "$venv/bin/python" example_package.py 2>&1) || {
    printf '%s\n' "$out" >&2
    return 1
  }
  check_output python-package "$out"
  echo "python package: $((SECONDS - start)) s"
}

# package_node ADDR: packs clients/node (its prepack builds it from gen/ts), installs the tarball
# with the versions the repository pins into an empty project outside the repository, compiles the
# package test and example there against the package's .d.ts, and runs them.
package_node() {
  local outside="$tmp/node-outside" out
  local start=$SECONDS
  mkdir "$outside"
  (cd clients/node && npm pack --pack-destination "$outside" --loglevel=error >/dev/null)
  cp clients/node/package-test/*.ts clients/node/package-test/tsconfig.json "$outside/"
  printf '{"name":"modeplatform-client-package-test","version":"0.0.0","private":true,"type":"module"}\n' >"$outside/package.json"
  local deps=()
  for dep in @connectrpc/connect-node @bufbuild/protobuf @types/node; do
    deps+=("$dep@$(node -p "require('./package.json').devDependencies['$dep']")")
  done
  (cd "$outside" && npm install --no-audit --no-fund --prefer-offline --loglevel=error \
    "./modeplatform-client-$version.tgz" "${deps[@]}")
  "$PWD/node_modules/.bin/tsc" -p "$outside"
  (cd "$outside" && MODEPLATFORM_ADDR=$1 MODEPLATFORM_KEY=$key MODEPLATFORM_VERSION=$version \
    timeout 300 node --test out/package.test.js)
  echo "example: node out/example.js"
  out=$(cd "$outside" && MODEPLATFORM_ADDR=$1 MODEPLATFORM_KEY=$key timeout 120 node out/example.js 2>&1) || {
    printf '%s\n' "$out" >&2
    return 1
  }
  check_output node-package "$out"
  echo "node package: $((SECONDS - start)) s"
}

# package_go ADDR: builds clients/go/example-package in a module outside the repository that
# requires github.com/modeplatform/modeplatform (replaced by this checkout, as `go get` of a
# release would fetch it) and runs it.
package_go() {
  local outside="$tmp/go-outside" out
  local start=$SECONDS
  mkdir -p "$outside/cmd"
  cp clients/go/example-package/main.go "$outside/cmd/"
  cp go.sum "$outside/"
  cat >"$outside/go.mod" <<GOMOD
module example.com/modeplatform-caller

go $(sed -n 's/^go //p' go.mod)

require github.com/modeplatform/modeplatform v$version

replace github.com/modeplatform/modeplatform => $PWD
GOMOD
  (cd "$outside" && go build -mod=mod -o example ./cmd)
  echo "example: go-outside/example"
  out=$(MODEPLATFORM_ADDR=$1 MODEPLATFORM_KEY=$key timeout 120 "$outside/example" 2>&1) || {
    printf '%s\n' "$out" >&2
    return 1
  }
  check_output go-package "$out"
  echo "go package: $((SECONDS - start)) s"
}

package_names=(python node go)
for name in "${package_names[@]}"; do
  start_server "$name-package" --policy "$tmp/policy.yaml"
  "package_$name" "$addr" >"$tmp/$name-package.out" 2>&1 &
  package_pids+=($!)
done

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
  check_output "$name" "$out" || failed+=("examples:$name")
}
check_example go go run ./clients/go/example
check_example node node --import tsx clients/node/example.ts
check_example python env PYTHONPATH=gen/python PYTHONDONTWRITEBYTECODE=1 /usr/bin/python3 clients/python/example.py
# README.md shows the examples whole: keep its copies the same as the files.
for f in clients/go/example/main.go clients/node/example.ts clients/python/example.py \
  clients/go/example-package/main.go clients/node/package-test/example.ts clients/python/example_package.py; do
  if ! /usr/bin/python3 -c 'import sys; sys.exit(open(sys.argv[1]).read() not in open("README.md").read())' "$f"; then
    echo "test-clients: README.md does not show $f as it is: copy the file into its code block" >&2
    failed+=(readme)
  fi
done

for i in "${!package_names[@]}"; do
  name=${package_names[$i]}
  step "client package: $name (installed outside the repository)"
  status=0
  wait "${package_pids[$i]}" || status=$?
  cat "$tmp/$name-package.out"
  [ "$status" -eq 0 ] || failed+=("$name-package")
done
package_pids=()

if [ ${#failed[@]} -gt 0 ]; then
  echo >&2
  echo "test-clients: failed: ${failed[*]}" >&2
  # The log of the server behind each failure (the examples' labels are examples:NAME).
  for name in node python examples python-package node-package go-package; do
    case " ${failed[*]} " in *" $name "* | *" $name:"*)
      echo "--- the $name server's log, last 100 lines:" >&2
      tail -n 100 "$tmp/$name.log" >&2 ;;
    esac
  done
  exit 1
fi
echo "test-clients: ok"
