#!/usr/bin/env bash
# Lays out the contract's proto dependencies under .build/protodeps/ (git-ignored), where buf.yaml's
# workspace finds them. Buf's schema registry is unreachable from our machines, so they come from
# pinned packages instead of `deps:`:
#   - googleapis protos from the npm package google-proto-files (package.json + package-lock.json,
#     installed with `npm ci` by ensure-npm.sh when node_modules does not match the lock file);
#   - buf/validate/validate.proto from the Go module github.com/bufbuild/protovalidate at the
#     version and checksum pinned below (fetched through the Go module proxy, checked by go's
#     checksum database and again here).
# Idempotent, and quick when nothing changed. Called by gen.sh and check-gen.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

protovalidate_module=github.com/bufbuild/protovalidate
# Keep in step with buf.build/gen/go/bufbuild/protovalidate/protocolbuffers/go in go.mod, whose Go
# package the generated code imports for these options.
protovalidate_version=v1.2.2
protovalidate_sum='h1:2H/9/Kr97etSRqW3IJjTTb09z+zutkK2GDhDRbOnqr4='

# The googleapis files the contract may import (and the files they import). Copy only these: the
# package holds thousands of unrelated files.
googleapis_files=(
  google/api/annotations.proto
  google/api/client.proto
  google/api/field_behavior.proto
  google/api/http.proto
  google/api/launch_stage.proto
  google/api/resource.proto
  google/rpc/code.proto
  google/rpc/error_details.proto
  google/rpc/status.proto
)

out=.build/protodeps

# npm (google-proto-files here; protoc-gen-es for buf.gen.yaml): reinstalled only when the lock
# file changed since the last install.
./scripts/ensure-npm.sh

# Go module: `go mod download` outside any module, so go.mod and go.sum are left alone.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
info=$(cd "$tmp" && GOWORK=off GOFLAGS= go mod download -json "$protovalidate_module@$protovalidate_version")
json_field() { printf '%s\n' "$info" | sed -n "s/^[[:space:]]*\"$1\": \"\(.*\)\",\{0,1\}\$/\1/p"; }
sum=$(json_field Sum)
dir=$(json_field Dir)
if [ "$sum" != "$protovalidate_sum" ]; then
  echo "protodeps: $protovalidate_module@$protovalidate_version has checksum '$sum', want '$protovalidate_sum'" >&2
  exit 1
fi

# Build the new tree aside and swap it in, so a failure never leaves a half-written one.
next="$tmp/protodeps"
for f in "${googleapis_files[@]}"; do
  install -D -m 0644 "node_modules/google-proto-files/$f" "$next/googleapis/$f"
done
install -D -m 0644 "$dir/proto/protovalidate/buf/validate/validate.proto" \
  "$next/protovalidate/buf/validate/validate.proto"
if ! diff -r -q "$next" "$out" >/dev/null 2>&1; then
  rm -rf "$out"
  mkdir -p "$(dirname "$out")"
  cp -R "$next" "$out"
fi
