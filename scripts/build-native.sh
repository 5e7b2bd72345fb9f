#!/usr/bin/env bash
# Builds the oneDNN backend's N-API addon (native/). It needs Debian's libdnnl-dev (oneDNN) and
# libopenblas-dev (its GEMM): installed here when missing and we are root; otherwise we say how,
# and mnist-run falls back to the WASM backend.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES="libdnnl-dev libopenblas-dev"
if [ ! -e /usr/include/oneapi/dnnl/dnnl.hpp ] || ! ls /usr/lib/*/libopenblas.so >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing $PACKAGES for the native backend…"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $PACKAGES >/dev/null 2>&1 || {
      apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $PACKAGES >/dev/null
    }
  else
    echo "note: the fast 'onednn' backend needs oneDNN and OpenBLAS: run \`sudo apt-get install $PACKAGES && make native\`." >&2
    echo "      Until then mnist-run uses the WASM backend." >&2
    exit 0
  fi
fi

npx --no-install node-gyp rebuild -C native --jobs max --loglevel=warn >/dev/null
echo "built native/build/Release/onednn_addon.node"
