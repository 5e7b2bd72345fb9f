#!/usr/bin/env bash
# The report's tests open the HTML in a real headless Chromium (Debian's, driven by playwright-core).
# Installed here when missing and we are root; otherwise those tests skip and say why.
set -euo pipefail
[ -x /usr/bin/chromium ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing chromium for the report's browser tests…"
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium >/dev/null 2>&1 || {
    apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium >/dev/null
  }
else
  echo "note: /usr/bin/chromium is missing, so the report's browser tests will skip: \`sudo apt-get install chromium\`." >&2
fi
