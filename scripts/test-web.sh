#!/usr/bin/env bash
# Tests the web console (web/): its committed build and the console itself in a real browser.
#   1. set-up: Debian's chromium (apt-get, when missing) and web/'s npm packages (npm ci, when its
#      lock file changed since the last install);
#   2. web/dist is what a fresh build makes: tsc, then `vite build` into a temp dir, compared file by
#      file with the committed web/dist (which go:embed puts in the binary);
#   3. the browser test (web/test/console.test.mjs): Playwright drives headless Chromium against the
#      real binary (built and started by the test on a free loopback port, built-in emulator) over
#      Connect and gRPC-Web: the report page, a dataset's page, the inventory, the members page and
#      the audit log (and, on a second server with a caller policy, who may see them), the API page
#      (Swagger UI rendering /openapi.yaml); screenshots
#      and the servers' logs go to test-artifacts/.
# Called by scripts/test.sh; runs on its own too. CHROMIUM=/path/to/chrome uses another browser.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n--> %s\n' "$*"; }
started=$(date +%s)

step "set-up: chromium, npm ci in web/"
if [ -z "${CHROMIUM:-}" ]; then
  ./scripts/ensure-apt.sh chromium
  export CHROMIUM=/usr/bin/chromium
fi
"$CHROMIUM" --version 2>/dev/null | head -n 1 || true
lock_sum=$(sha256sum web/package-lock.json | cut -d' ' -f1)
stamp=web/node_modules/.modeplatform-lock.sha256
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_sum" ]; then
  # No install scripts: nothing here needs one (esbuild's binary comes as an optional package).
  (cd web && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
  echo "$lock_sum" >"$stamp"
fi

step "web/dist matches a fresh build"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd web && node_modules/.bin/tsc -p . && node_modules/.bin/vite build --outDir "$tmp/dist" --emptyOutDir --logLevel warn)
if ! diff -r web/dist "$tmp/dist" >"$tmp/diff"; then
  echo "test-web: web/dist is not what its sources build to:" >&2
  head -n 40 "$tmp/diff" >&2
  echo "rebuild and commit it: (cd web && npm run build)" >&2
  exit 1
fi
echo "web/dist is up to date ($(find web/dist -type f | wc -l) files)"

step "browser test: Playwright + headless Chromium, Connect and gRPC-Web"
mkdir -p test-artifacts
(cd web && node --test --test-reporter=spec test/)

printf '\ntest-web: ok in %ss (screenshots: test-artifacts/console-{connect,grpcweb,dataset,inventory,members,audit,api}.png)\n' \
  "$(( $(date +%s) - started ))"
