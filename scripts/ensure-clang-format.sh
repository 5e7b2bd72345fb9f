#!/usr/bin/env bash
# `make lint` checks native/ with clang-format (Debian's): installed here when missing and we are
# root; otherwise we say how, and the check of native/ is skipped (the TypeScript checks still run).
set -euo pipefail
command -v clang-format >/dev/null && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing clang-format for \`make lint\`…"
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends clang-format >/dev/null 2>&1 || {
    apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends clang-format >/dev/null
  }
else
  echo "note: clang-format is missing, so native/ is not format-checked: \`sudo apt-get install clang-format\`." >&2
fi
