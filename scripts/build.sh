#!/usr/bin/env bash
# Builds the release binary of modeplatform: the one place its build flags are written down. The
# Dockerfile runs this script, and deploy's tests build with it too, so what is tested is what
# ships.
#
#   ./scripts/build.sh [OUTPUT]          # default bin/modeplatform
#   VERSION=v1.4.0 ./scripts/build.sh    # stamps the version (default: git describe, else "dev")
#
# A static binary (CGO_ENABLED=0: it runs on a distroless/static image with no libc), without
# local paths (-trimpath), symbol tables or DWARF (-s -w), with the version stamped into
# main.buildVersion (cmd/modeplatform/version.go). The web console is embedded by go:embed, so the
# binary is the whole application.
set -euo pipefail
cd "$(dirname "$0")/.."

out=${1:-bin/modeplatform}
version=${VERSION:-}
if [ -z "$version" ]; then
  version=$(git describe --tags --always --dirty 2>/dev/null || true)
  version=${version:-dev}
fi
# The version lands inside -ldflags: keep it to characters that need no quoting there.
if ! [[ "$version" =~ ^[A-Za-z0-9][A-Za-z0-9._+-]*$ ]]; then
  echo "build.sh: VERSION must match [A-Za-z0-9][A-Za-z0-9._+-]*, not ${version@Q}" >&2
  exit 2
fi

export CGO_ENABLED=0
exec go build -trimpath -buildvcs=false -ldflags "-s -w -X main.buildVersion=${version}" -o "$out" ./cmd/modeplatform
