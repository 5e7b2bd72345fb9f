import { cpus } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { BackendError } from '../errors.js';

import { ALLOW_SOFTWARE_GPU_ENV, BACKEND_NAMES, type BackendChoice, type BackendName } from './names.js';
import type { AdapterSummary } from './webgpu/adapters.js';

export type { AdapterSummary };
export { BACKEND_NAMES, type BackendChoice, type BackendName };

/** `adapters`: every GPU adapter the backend saw (webgpu); `adapter`: the one it uses. */
export type LoadResult =
  | { ok: true; tfName: string; device: string; threads: number; adapter?: AdapterSummary; adapters?: AdapterSummary[] }
  | { ok: false; reason: string; fix: string; adapters?: AdapterSummary[] };

export interface ProbeOptions {
  /** Whether a software GPU adapter may be used: only for an explicit `--backend webgpu --allow-software-gpu`. */
  allowSoftwareGpu: boolean;
  /** Probing for `auto`: a GPU backend may answer from a quick look (no GPU device) without starting its driver. */
  quick?: boolean;
}

/** The module boundary, injectable so tests can stand in for packages that cannot install here. */
export interface BackendContext {
  importModule: (specifier: string) => Promise<unknown>;
}
export const defaultBackendContext: BackendContext = { importModule: (s) => import(s) };

const cpuModel = () => cpus()[0]?.model.trim() ?? 'unknown CPU';

async function activate(tfName: string): Promise<string | undefined> {
  const ok = await tf.setBackend(tfName).catch((err: unknown) => String(err));
  if (ok === true) return undefined;
  return typeof ok === 'string' ? ok : `tf.setBackend('${tfName}') failed to initialise it`;
}

const NODE_GPU_FIX =
  'on Linux with an NVIDIA GPU, its driver, CUDA 11.2 and cuDNN 8.1: ' +
  '`npm install --save-exact @tensorflow/tfjs-node-gpu@4.22.0` (its install step downloads libtensorflow from storage.googleapis.com)';

/** Loads tfjs-node(-gpu), which registers the native 'tensorflow' backend on our single tfjs-core. */
async function loadTfjsNode(ctx: BackendContext, pkg: string, wantGpu: boolean, fix: string): Promise<LoadResult> {
  try {
    await ctx.importModule(pkg);
  } catch (err) {
    const missing = (err as { code?: string }).code === 'ERR_MODULE_NOT_FOUND';
    return {
      ok: false,
      reason: missing ? `${pkg} is not installed` : `${pkg} failed to load: ${(err as Error).message}`,
      fix,
    };
  }
  const failed = await activate('tensorflow');
  if (failed) return { ok: false, reason: failed, fix };
  const onGpu = (tf.backend() as { isUsingGpuDevice?: boolean }).isUsingGpuDevice === true;
  if (wantGpu && !onGpu) {
    return {
      ok: false,
      reason: `${pkg} loaded, but TensorFlow found no GPU device and would run on the CPU`,
      fix: 'check `nvidia-smi` works and that the CUDA 11.2 / cuDNN 8.1 libraries are on LD_LIBRARY_PATH; or choose --backend tensorflow',
    };
  }
  return {
    ok: true,
    tfName: 'tensorflow',
    device: onGpu ? 'GPU (CUDA)' : `CPU (libtensorflow, ${cpuModel()})`,
    threads: cpus().length,
  };
}

const LOADERS: { [K in BackendName]: (ctx: BackendContext, o: ProbeOptions) => Promise<LoadResult> } = {
  'tensorflow-gpu': (ctx) => loadTfjsNode(ctx, '@tensorflow/tfjs-node-gpu', true, NODE_GPU_FIX),
  webgpu: async (ctx, o) => {
    const { loadWebgpuBackend, BACKEND_NAME } = await import('./webgpu/index.js');
    const loaded = await loadWebgpuBackend({
      importModule: ctx.importModule,
      allowSoftware: o.allowSoftwareGpu,
      onlyWithGpuDevice: o.quick === true,
    });
    if (!loaded.ok) return loaded;
    const failed = await activate(BACKEND_NAME);
    if (failed) return { ok: false, reason: failed, fix: 'run `mnist-run doctor`', adapters: loaded.adapters };
    return {
      ok: true,
      tfName: BACKEND_NAME,
      device: loaded.device,
      threads: 1,
      adapter: loaded.adapter,
      adapters: loaded.adapters,
    };
  },
  tensorflow: (ctx) =>
    loadTfjsNode(
      ctx,
      '@tensorflow/tfjs-node',
      false,
      '`npm install --save-exact @tensorflow/tfjs-node@4.22.0` (downloads libtensorflow)',
    ),
  onednn: async () => {
    const { loadOnednnBackend } = await import('./onednn/index.js');
    const loaded = await loadOnednnBackend();
    if (!loaded.ok) return loaded;
    const failed = await activate('onednn');
    if (failed) return { ok: false, reason: failed, fix: 'rebuild the addon: `make native`' };
    return {
      ok: true,
      tfName: 'onednn',
      device: `CPU (oneDNN ${loaded.version}, matmul on ${loaded.matmul}, ${cpuModel()})`,
      threads: loaded.threads,
    };
  },
  wasm: async () => {
    const { initWasmBackend, wasmThreadsCount } = await import('./wasm/index.js');
    await initWasmBackend();
    const failed = await activate('wasm');
    if (failed) return { ok: false, reason: failed, fix: 'reinstall @tensorflow/tfjs-backend-wasm@4.22.0 (`npm ci`)' };
    return { ok: true, tfName: 'wasm', device: `CPU (WebAssembly SIMD, ${cpuModel()})`, threads: wasmThreadsCount() };
  },
  cpu: async () => {
    const failed = await activate('cpu');
    if (failed) return { ok: false, reason: failed, fix: 'reinstall @tensorflow/tfjs@4.22.0 (`npm ci`)' };
    return { ok: true, tfName: 'cpu', device: `CPU (pure JavaScript, ${cpuModel()})`, threads: 1 };
  },
};

export async function probeBackend(
  name: BackendName,
  ctx = defaultBackendContext,
  o: ProbeOptions = { allowSoftwareGpu: false },
): Promise<LoadResult> {
  try {
    return await LOADERS[name](ctx, o);
  } catch (err) {
    return {
      ok: false,
      reason: (err as Error).message,
      fix: 'run `mnist-run doctor` and reinstall with `make install`',
    };
  }
}

export interface SelectedBackend {
  name: BackendName;
  tfName: string;
  device: string;
  threads: number;
  /** The GPU adapter it computes on (webgpu). */
  adapter?: AdapterSummary;
  /** Why faster backends were passed over (auto only), for the log. */
  skipped: { name: BackendName; reason: string }[];
}

/**
 * Activates the requested backend. `auto` takes the fastest that loads; a named backend that cannot
 * be used is an error with a fix, never a silent fallback.
 */
export async function selectBackend(choice: BackendChoice, ctx = defaultBackendContext): Promise<SelectedBackend> {
  tf.enableProdMode(); // no NaN checks on every op, and no "install tfjs-node" banner on stdout
  const skipped: SelectedBackend['skipped'] = [];
  const allowSoftwareGpu = choice === 'webgpu' && process.env[ALLOW_SOFTWARE_GPU_ENV] === '1';
  for (const name of choice === 'auto' ? BACKEND_NAMES : [choice]) {
    const result = await probeBackend(name, ctx, { allowSoftwareGpu, quick: choice === 'auto' });
    if (result.ok) {
      const { tfName, device, threads, adapter } = result;
      return { name, tfName, device, threads, ...(adapter && { adapter }), skipped };
    }
    if (choice !== 'auto') {
      throw new BackendError(`backend "${name}" cannot be used: ${result.reason}\n  fix: ${result.fix}`);
    }
    skipped.push({ name, reason: result.reason });
  }
  throw new BackendError(
    'no tfjs backend could be loaded, not even the pure-JavaScript cpu one\n  fix: reinstall with `make install`',
  );
}
