#!/usr/bin/env bash
# The project's one test command (README, .ci/run). It does its own set-up on a fresh machine and runs
# every check and test: formatting, vet, the generated code and the contract, and all Go tests with the
# race detector. Set QUICK=1 to skip the race detector while iterating locally.
set -euo pipefail
cd "$(dirname "$0")/.."

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

step "go test"
race=(-race)
[ "${QUICK:-}" = 1 ] && race=()
go test "${race[@]}" -count=1 -timeout 15m ./...

printf '\nall checks passed in %ss\n' "$(( $(date +%s) - started ))"
