#!/usr/bin/env bash
# The report's tests open the HTML in a real headless Chromium (Debian's, driven by playwright-core).
# Installed when missing (see ensure-package.sh); without it those tests skip and say why.
set -euo pipefail
[ -x /usr/bin/chromium ] && exit 0
exec scripts/ensure-package.sh chromium "the report's browser tests"
