#!/usr/bin/env bash
# The queue's tests (sweeps across machines) run a real redis-server (test/helpers/redis-server.ts),
# and the TLS one makes its certificates with openssl. Installed when missing (see
# ensure-package.sh); without them those tests fail and say how to get them.
set -euo pipefail
command -v openssl >/dev/null || scripts/ensure-package.sh openssl "the queue's TLS test"
command -v redis-server >/dev/null && exit 0
exec scripts/ensure-package.sh redis-server "the queue's tests (sweeps across machines)"
