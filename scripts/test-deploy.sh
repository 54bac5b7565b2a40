#!/usr/bin/env bash
# The deployment's checks (scripts/test.sh runs this before the Go tests):
#
#   - installs redis-server (Debian) when missing: the shared cache's tests start real ones;
#   - lints the Dockerfile with dockerfile-utils (npm, pinned in deploy/dockerfile-lint; no
#     hadolint exists in Debian or npm) and fails on any diagnostic;
#   - runs the tests of the deploy module (deploy/go.mod): the release binary built by
#     scripts/build.sh, exactly as the Dockerfile builds it (static, version stamped); the
#     Dockerfile's structure; every overlay rendered by kustomize (a Go tool of that module) and
#     validated against the Kubernetes API types;
#   - installs prometheus (Debian) when missing, for its promtool: the prod overlay's alerting
#     rules go through `promtool check rules` and `promtool test rules`, and a test starts the
#     release binary, scrapes its /metrics and checks every metric the Grafana dashboard and the
#     rules name is exported (deploy/observability_test.go). The package also ships the Prometheus
#     server: if installing it started one (a host whose init system starts services; in
#     containers policy-rc.d refuses), it is stopped and disabled again.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/ensure-apt.sh redis-server

had_promtool=$(command -v promtool || true)
./scripts/ensure-apt.sh prometheus
if [ -z "$had_promtool" ]; then
  # Only what this install started: the packaged service, through its own init system.
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet prometheus 2>/dev/null; then
    sudo_=(); [ "$(id -u)" -ne 0 ] && sudo_=(sudo)
    "${sudo_[@]}" systemctl disable --now prometheus >&2
  elif [ -f /run/prometheus/prometheus.pid ] && kill -0 "$(cat /run/prometheus/prometheus.pid)" 2>/dev/null; then
    sudo_=(); [ "$(id -u)" -ne 0 ] && sudo_=(sudo)
    "${sudo_[@]}" /etc/init.d/prometheus stop >&2
  fi
fi

lint=deploy/dockerfile-lint
lock_sum=$(sha256sum "$lint/package-lock.json" | cut -d' ' -f1)
stamp=$lint/node_modules/.modeplatform-lock.sha256
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_sum" ]; then
  (cd "$lint" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2)
  echo "$lock_sum" >"$stamp"
fi
diagnostics=$(node "$lint/node_modules/dockerfile-utils/bin/dockerfile-utils" lint --json Dockerfile)
if [ "$diagnostics" != "[]" ]; then
  echo "Dockerfile lint (dockerfile-utils):" >&2
  node "$lint/node_modules/dockerfile-utils/bin/dockerfile-utils" lint Dockerfile >&2 || true
  exit 1
fi
echo "Dockerfile: no lint diagnostics"

cd deploy
go mod verify >/dev/null
go vet ./...
go test -count=1 -timeout 10m ./...
