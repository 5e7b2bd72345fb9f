#!/usr/bin/env bash
# The webgpu backend's tests run Dawn on SwiftShader, the software Vulkan driver inside Debian's
# chromium package; Dawn loads it through the Vulkan loader (libvulkan1). Installed here when missing
# and we are root; otherwise the webgpu suite fails and says what to install.
set -euo pipefail
scripts/ensure-chromium.sh
ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1 ' && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing libvulkan1 (the Vulkan loader) for the webgpu tests…"
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libvulkan1 >/dev/null 2>&1 || {
    apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libvulkan1 >/dev/null
  }
else
  echo "note: the Vulkan loader is missing, so the webgpu tests will fail: \`sudo apt-get install libvulkan1 chromium\`." >&2
fi
