#!/usr/bin/env bash
# Installs the npm packages pinned in package.json / package-lock.json into node_modules with
# `npm ci`, only when the lock file changed since the last install (quick, offline, otherwise).
# Install scripts are not run: nothing here needs one. Called by protodeps.sh and test-clients.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

lock_sum=$(sha256sum package-lock.json | cut -d' ' -f1)
stamp=node_modules/.modeplatform-lock.sha256
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_sum" ]; then
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2
  echo "$lock_sum" >"$stamp"
fi
