#!/usr/bin/env bash
# ensure-package.sh PACKAGE WHAT-NEEDS-IT: installs a Debian package when we are root and have apt;
# otherwise says what goes without it and how to install it. Never fails the build by itself.
set -euo pipefail
pkg=$1 needs=$2
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing $pkg for $needs…"
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$pkg" >/dev/null 2>&1 || {
    apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$pkg" >/dev/null
  }
else
  echo "note: $pkg is missing, so $needs cannot run: \`sudo apt-get install $pkg\`." >&2
fi
