#!/usr/bin/env bash
# The project's one test command (README, .ci/run). It does its own set-up on a fresh machine and runs
# every check and test: formatting, vet, the generated code and the contract, govulncheck, the
# deployment (scripts/test-deploy.sh), all Go
# tests with the race detector, and the generated TypeScript and Python clients against the server
# (scripts/test-clients.sh). Set QUICK=1 to skip the race detector while iterating locally.
set -euo pipefail
cd "$(dirname "$0")/.."

# The machine's Go (1.26.8) has standard-library vulnerabilities fixed in 1.26.9 and 1.26.10
# (govulncheck below lists them): tests, builds and govulncheck run on the patched release, which the
# go command fetches once from the Go module proxy. The Dockerfile builds with the same release.
export GOTOOLCHAIN="${MODEPLATFORM_GOTOOLCHAIN:-go1.26.11}"
export VULNCHECK_STRICT="${VULNCHECK_STRICT:-1}"

step() { printf '\n==> %s\n' "$*"; }
started=$(date +%s)

step "Go modules"
go version
go mod download
go mod verify >/dev/null

step "gofmt"
unformatted=$(git ls-files -co --exclude-standard '*.go' | grep -v '^gen/' | xargs -r gofmt -l)
if [ -n "$unformatted" ]; then
  echo "not gofmt-clean:" >&2
  echo "$unformatted" >&2
  exit 1
fi

step "go vet"
go vet ./...

if [ -x scripts/check-gen.sh ]; then
  step "contract: buf lint, buf breaking, generated code up to date"
  ./scripts/check-gen.sh
fi

step "govulncheck (offline: the Go vulnerability database from the golang.org/x/vulndb module)"
# vuln.go.dev is not reachable; the x/vulndb module on the Go proxy carries the same OSV entries
# (data/osv/GO-*.json). govulncheck reads such a directory of OSV files as a database (file://).
# It is copied once per vulndb version into .build/ (bump the version to refresh the data).
vulndb_version=v0.0.0-20261105234957-e22db6528018
vulndb=.build/vulndb/$vulndb_version
if [ ! -d "$vulndb" ]; then
  src=$(go mod download -json "golang.org/x/vulndb@$vulndb_version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -d "$src/data/osv" ] || { echo "golang.org/x/vulndb@$vulndb_version has no data/osv" >&2; exit 1; }
  mkdir -p "$vulndb.tmp"
  cp "$src"/data/osv/*.json "$vulndb.tmp/"
  chmod -R u+w "$vulndb.tmp"
  mv "$vulndb.tmp" "$vulndb"
fi
# Reachable vulnerabilities fail, in required modules and (VULNCHECK_STRICT=1, the default here) in
# the standard library of the toolchain above.
set +o pipefail
go tool govulncheck -db "file://$PWD/$vulndb" -format json ./... | go run ./scripts/vulncheck
statuses=("${PIPESTATUS[@]}") # with -format json, govulncheck exits 0 whatever it found
set -o pipefail
[ "${statuses[0]}" = 0 ] || { echo "govulncheck failed" >&2; exit "${statuses[0]}"; }
[ "${statuses[1]}" = 0 ] || exit "${statuses[1]}"

step "deploy: Dockerfile lint, release build, Kubernetes manifests; redis-server for the shared cache tests"
./scripts/test-deploy.sh

step "go test"
# poppler-utils: pdfinfo and pdftotext read the emulator's PDF exports (modetest's TestRunPDF).
# wrk and nghttp2-client (h2load): the external load generators of cmd/modebench, whose
# TestOutsideSmoke drives the server with each for a second.
./scripts/ensure-apt.sh poppler-utils wrk nghttp2-client
race=(-race)
[ "${QUICK:-}" = 1 ] && race=()
# The service tests measure the coverage of Mode's API (service/coverage_test.go) and write the
# table to this file; it is printed below, since go test shows no output of passing packages.
coverage_report=$(mktemp)
trap 'rm -f "$coverage_report"' EXIT
MODEPLATFORM_COVERAGE_REPORT="$coverage_report" go test "${race[@]}" -count=1 -timeout 15m ./...

step "coverage of Mode's API: served by the emulator, used by modeclient, reachable through the contract (from the service tests)"
if [ -s "$coverage_report" ]; then
  cat "$coverage_report"
else
  echo "the service tests wrote no coverage table" >&2
  exit 1
fi

step "generated clients: TypeScript (Connect, gRPC) and Python (gRPC) against the server"
./scripts/test-clients.sh

step "web console: web/dist up to date, browser test (Playwright, headless Chromium; Connect and gRPC-Web)"
./scripts/test-web.sh

printf '\nall checks passed in %ss\n' "$(( $(date +%s) - started ))"
