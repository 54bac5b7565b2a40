#!/usr/bin/env bash
# Checks the contract and its generated code, without changing the work tree (works in a fresh
# clone, without git):
#   1. buf format: proto/ is formatted as `go tool buf format -w proto` would;
#   2. buf lint (buf.yaml: STANDARD + COMMENTS + protovalidate's rule checks);
#   3. buf breaking against the committed baseline image proto/baseline.binpb (no git refs, so it
#      works in shallow clones); update the baseline deliberately with ./scripts/gen.sh
#      --update-baseline;
#   4. gen/ (gen/go, gen/ts, gen/python, gen/openapi) is exactly what ./scripts/gen.sh generates (regenerated
#      into a temp dir and compared; Python's __pycache__ directories are not generated code).
# Exits non-zero on the first failing check.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/protodeps.sh
./scripts/ensure-apt.sh protobuf-compiler protobuf-compiler-grpc

echo "check-gen: buf format" >&2
if ! go tool buf format --diff --exit-code proto; then
  echo "check-gen: proto/ is not formatted: run 'go tool buf format -w proto'" >&2
  exit 1
fi

echo "check-gen: buf lint" >&2
go tool buf lint

echo "check-gen: buf breaking against proto/baseline.binpb" >&2
if [ ! -f proto/baseline.binpb ]; then
  echo "check-gen: proto/baseline.binpb is missing: run ./scripts/gen.sh --update-baseline" >&2
  exit 1
fi
go tool buf breaking proto --against proto/baseline.binpb

echo "check-gen: generated code up to date" >&2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go tool buf generate -o "$tmp"
if ! diff -r -x __pycache__ gen "$tmp/gen"; then
  echo "check-gen: gen/ differs from what the contract generates: run ./scripts/gen.sh" >&2
  exit 1
fi
echo "check-gen: ok" >&2
