#!/usr/bin/env bash
# The one command that regenerates everything derived from the contract in proto/: it lays out the
# proto dependencies and the npm packages (scripts/protodeps.sh), installs Debian's protoc and gRPC
# Python plugin when missing, and runs `buf generate` with buf.gen.yaml into gen/ (gen/go, gen/ts,
# gen/python, gen/openapi).
#
#   ./scripts/gen.sh                     regenerate gen/
#   ./scripts/gen.sh --update-baseline   also record the current contract as the baseline that
#                                        `buf breaking` compares against (proto/baseline.binpb):
#                                        do this deliberately, when a contract change is released
#
# Idempotent: running it twice changes nothing the second time.
set -euo pipefail
cd "$(dirname "$0")/.."

update_baseline=false
for arg in "$@"; do
  case "$arg" in
    --update-baseline) update_baseline=true ;;
    -h | --help)
      sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "gen.sh: unknown argument: $arg (try --help)" >&2
      exit 2
      ;;
  esac
done

./scripts/protodeps.sh
./scripts/ensure-apt.sh protobuf-compiler protobuf-compiler-grpc
go tool buf generate

if $update_baseline; then
  # Source info (comments, positions) is left out: documentation changes are not contract changes,
  # and the image stays small.
  go tool buf build proto --exclude-source-info -o proto/baseline.binpb
  echo "gen.sh: baseline updated: proto/baseline.binpb" >&2
fi
