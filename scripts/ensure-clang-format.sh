#!/usr/bin/env bash
# `make lint` checks native/ with clang-format (Debian's): installed when missing (see
# ensure-package.sh); without it the check of native/ is skipped, the TypeScript checks still run.
set -euo pipefail
command -v clang-format >/dev/null && exit 0
exec scripts/ensure-package.sh clang-format "the format check of native/"
