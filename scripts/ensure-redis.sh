#!/usr/bin/env bash
# The queue's tests (sweeps across machines) run a real redis-server (test/helpers/redis-server.ts).
# Installed when missing (see ensure-package.sh); without it those tests fail and say how to get it.
set -euo pipefail
command -v redis-server >/dev/null && exit 0
exec scripts/ensure-package.sh redis-server "the queue's tests (sweeps across machines)"
