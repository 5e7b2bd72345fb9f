/**
 * Entry point of the WebGPU backend: tfjs-backend-webgpu on Dawn (the npm package `webgpu`), which
 * drives Vulkan on Linux, Metal on macOS and D3D12 on Windows. Both packages are optional: without
 * them, or without a GPU, `loadWebgpuBackend()` says why and how to fix it; it never throws for that.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { ADAM_UPDATE, registerAcceleratedKernels, registerDeviceTraits } from '../../accelerated/index.js';
import {
  type AdapterSummary,
  describeAdapter,
  type FoundAdapter,
  type GpuDeviceLike,
  listAdapters,
  type WebgpuModule,
} from './adapters.js';
import { adamUpdateKernel } from './kernels/adam.js';
import { fitsOnDevice } from './limits.js';
import { deviceLostError, lostAware, type WebgpuBackendClass } from './lost.js';

export { type AdapterSummary, describeAdapter, isSoftwareAdapter } from './adapters.js';

export const BACKEND_NAME = 'webgpu';
/** Set (to 1) by `--allow-software-gpu`; sweeps pass it on to their children with the environment. */
export const ALLOW_SOFTWARE_ENV = 'MNIST_RUN_ALLOW_SOFTWARE_GPU';

export const INSTALL_FIX =
  '`npm install --save-exact webgpu@0.6.2 @tensorflow/tfjs-backend-webgpu@4.22.0` (both ship prebuilt; no download at run time)';
const DRIVER_FIX =
  "install the Vulkan loader and your GPU's Vulkan driver (Debian/Ubuntu: `apt-get install libvulkan1`, plus the NVIDIA driver, or `mesa-vulkan-drivers` for AMD and Intel); `vulkaninfo --summary` should list the GPU";

export type WebgpuLoad =
  | { ok: true; adapter: AdapterSummary; adapters: AdapterSummary[]; device: string }
  | { ok: false; reason: string; fix: string; adapters: AdapterSummary[] };

export interface WebgpuLoadOptions {
  importModule: (specifier: string) => Promise<unknown>;
  /** Take a software adapter when there is no hardware one (tests; never `auto`). */
  allowSoftware: boolean;
  /**
   * `auto`'s quick look: on Linux, without a GPU device node there is no GPU, so Dawn is not even
   * started (it costs ~0.2 s, and Vulkan drivers it refuses print warnings on stderr).
   */
  onlyWithGpuDevice?: boolean;
}

/** Device nodes a Linux GPU driver creates: NVIDIA's own, and DRM render nodes (AMD, Intel, nouveau, NVIDIA's DRM). */
export function linuxGpuDeviceNodes(dev = '/dev'): string[] {
  const nodes: string[] = [];
  for (const [dir, pattern] of [
    [dev, /^nvidia\d+$/],
    [join(dev, 'dri'), /^renderD\d+$/],
  ] as const) {
    try {
      nodes.push(
        ...readdirSync(dir)
          .filter((f) => pattern.test(f))
          .map((f) => join(dir, f)),
      );
    } catch {
      // no such folder: no such devices
    }
  }
  return nodes;
}

/** The adapter a run would use: the first hardware one, or with allowSoftware the first of any. */
export function chooseAdapter(found: FoundAdapter[], allowSoftware: boolean): FoundAdapter | undefined {
  return found.find((a) => !a.summary.software) ?? (allowSoftware ? found[0] : undefined);
}

/** Dawn sees the adapters once per process: doctor, auto's probe and the run all ask the same list. */
let adaptersOnce: Promise<FoundAdapter[]> | undefined;

interface Active {
  adapter: AdapterSummary;
  device: GpuDeviceLike;
  /** Held so the Dawn instance lives as long as the device. */
  found: FoundAdapter;
}
let active: Active | undefined;

async function importPackages(importModule: WebgpuLoadOptions['importModule']) {
  const [webgpu, tfWebgpu] = await Promise.all([
    importModule('webgpu') as Promise<WebgpuModule>,
    importModule('@tensorflow/tfjs-backend-webgpu') as Promise<{
      WebGPUBackend: WebgpuBackendClass;
      webgpu_util: Parameters<typeof adamUpdateKernel>[0];
    }>,
  ]);
  return { webgpu, WebGPUBackend: tfWebgpu.WebGPUBackend, util: tfWebgpu.webgpu_util };
}

/** The limits tfjs-backend-webgpu asks for: the adapter's own maxima, so large tensors fit. */
const DEVICE_LIMITS = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeWorkgroupsPerDimension',
  'maxComputeWorkgroupSizeX',
  'maxComputeInvocationsPerWorkgroup',
];

export async function loadWebgpuBackend(o: WebgpuLoadOptions): Promise<WebgpuLoad> {
  if (o.onlyWithGpuDevice && !active && process.platform === 'linux' && linuxGpuDeviceNodes().length === 0) {
    return {
      ok: false,
      reason: 'no GPU on this machine (no /dev/nvidia* or /dev/dri/renderD* device)',
      fix: `if it has one, ${DRIVER_FIX}`,
      adapters: [],
    };
  }
  let packages: Awaited<ReturnType<typeof importPackages>>;
  try {
    packages = await importPackages(o.importModule);
  } catch (err) {
    const missing = (err as { code?: string }).code === 'ERR_MODULE_NOT_FOUND';
    return {
      ok: false,
      reason: missing
        ? 'the optional packages webgpu and @tensorflow/tfjs-backend-webgpu are not installed'
        : `webgpu failed to load: ${(err as Error).message}`,
      fix: INSTALL_FIX,
      adapters: [],
    };
  }
  adaptersOnce ??= listAdapters(packages.webgpu);
  const found = await adaptersOnce;
  const adapters = found.map((a) => a.summary);
  if (active) {
    // One device per process: a second load (doctor after a probe, a run after auto) reuses it.
    if (active.adapter.software && !o.allowSoftware) return softwareOnly(adapters);
    return { ok: true, adapter: active.adapter, adapters, device: describeAdapter(active.adapter) };
  }
  if (found.length === 0) return { ok: false, reason: 'Dawn found no GPU adapter', fix: DRIVER_FIX, adapters };
  const chosen = chooseAdapter(found, o.allowSoftware);
  if (!chosen) return softwareOnly(adapters);

  const { adapter } = chosen;
  const requiredLimits = Object.fromEntries(
    DEVICE_LIMITS.filter((k) => adapter.limits[k] !== undefined).map((k) => [k, adapter.limits[k]]),
  );
  const requiredFeatures = adapter.features.has('timestamp-query') ? ['timestamp-query'] : [];
  let device: GpuDeviceLike;
  try {
    device = await adapter.requestDevice({ requiredLimits, requiredFeatures });
  } catch (err) {
    return {
      ok: false,
      reason: `${chosen.summary.name} refused a device: ${(err as Error).message}`,
      fix: DRIVER_FIX,
      adapters,
    };
  }
  // tfjs-backend-webgpu checks navigator.gpu and uses GPUBufferUsage and friends as globals.
  Object.assign(globalThis, packages.webgpu.globals);
  const g = globalThis as { navigator?: { gpu?: unknown } };
  g.navigator ??= {};
  const nav = g.navigator;
  if (!nav.gpu) Object.defineProperty(nav, 'gpu', { value: { dawn: true }, configurable: true });
  const Backend = lostAware(packages.WebGPUBackend, device);
  tf.registerBackend(BACKEND_NAME, () => new Backend(device, chosen.adapter.info), 0);
  registerAcceleratedKernels(BACKEND_NAME, { [ADAM_UPDATE]: adamUpdateKernel(packages.util) });
  registerDeviceTraits(BACKEND_NAME, {
    kind: 'gpu',
    residentBytes: Math.min(chosen.summary.maxBufferSize, chosen.summary.maxStorageBufferBindingSize),
    checkFits: (model, batchSize) => fitsOnDevice(model, batchSize, chosen.summary),
    lost: () => deviceLostError(device),
  });
  active = { adapter: chosen.summary, device, found: chosen };
  return { ok: true, adapter: chosen.summary, adapters, device: describeAdapter(chosen.summary) };
}

function softwareOnly(adapters: AdapterSummary[]): WebgpuLoad {
  const names = adapters.map((a) => a.name).join(', ');
  return {
    ok: false,
    reason: `the only GPU adapter${adapters.length > 1 ? 's are' : ' is'} software (${names}): a CPU emulating a GPU, slower than the CPU backends`,
    fix: `use a CPU backend (\`--backend auto\`), or pass --allow-software-gpu to run on it anyway (for tests); for a real GPU, ${DRIVER_FIX}`,
    adapters,
  };
}

/** The device in use, for tests that must lose it on purpose. */
export function activeDevice(): GpuDeviceLike | undefined {
  return active?.device;
}
