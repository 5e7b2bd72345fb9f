#!/usr/bin/env bash
# The webgpu backend's tests run Dawn on SwiftShader, the software Vulkan driver inside Debian's
# chromium package; Dawn loads it through the Vulkan loader (libvulkan1). Both installed when missing
# (see ensure-package.sh); without them the webgpu suite fails and says what to install.
set -euo pipefail
scripts/ensure-chromium.sh
ldconfig -p 2>/dev/null | grep 'libvulkan\.so\.1 ' >/dev/null && exit 0 # not grep -q: with pipefail, its early exit fails ldconfig
exec scripts/ensure-package.sh libvulkan1 "the webgpu tests"
