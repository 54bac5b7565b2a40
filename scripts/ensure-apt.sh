#!/usr/bin/env bash
# Installs the given Debian packages if any of them is missing, and does nothing (quickly, without
# touching the network) when all are installed:
#
#   ./scripts/ensure-apt.sh protobuf-compiler protobuf-compiler-grpc
#
# Uses apt-get directly as root, else sudo. Refreshes the package lists only when they are missing
# or the install fails with the current ones. Called by gen.sh, check-gen.sh, test.sh, test-clients.sh, test-deploy.sh and test-web.sh.
set -euo pipefail

missing=()
for pkg in "$@"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

# env sets DEBIAN_FRONTEND after sudo, which would drop it from the environment.
apt=(env DEBIAN_FRONTEND=noninteractive apt-get)
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "ensure-apt: missing ${missing[*]}, and neither root nor sudo to install them" >&2
    exit 1
  fi
  apt=(sudo "${apt[@]}")
fi

echo "ensure-apt: installing ${missing[*]}" >&2
apt_install() { "${apt[@]}" -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends "${missing[@]}" >&2; }
if ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null || ! apt_install; then
  "${apt[@]}" update -q >&2
  apt_install
fi
