/** The 'onednn' tfjs backend: the cpu backend's storage and kernels, with the hot kernels native. */
import * as tf from '@tensorflow/tfjs';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { OnednnAddon } from './addon.js';
import { registerActivationGradKernel } from './kernels/activation-grad.js';
import { registerBatchNormKernels } from './kernels/batch-norm.js';
import { registerConv2DKernel } from './kernels/conv2d.js';
import { registerDenseKernels } from './kernels/dense.js';
import { NATIVE_KERNELS } from './kernels/index.js';
import type { KernelArgs, NativeKernel, TensorInfo } from './kernels/native.js';
import { BufferPool } from './pool.js';

export const BACKEND_NAME = 'onednn';
type DataId = Parameters<MathBackendCPU['readSync']>[0];

/** Tensors live in the same JS typed arrays as on 'cpu'; only kernels and buffer reuse differ. */
export class OnednnBackend extends MathBackendCPU {
  readonly pool = new BufferPool();

  private valuesOf(dataId: DataId): unknown {
    return this.data.has(dataId) ? this.data.get(dataId).values : undefined;
  }

  // The cpu backend hands out its own array from reads, so a read buffer is never reused.
  override readSync(dataId: DataId) {
    this.pool.escape(this.valuesOf(dataId));
    return super.readSync(dataId);
  }

  override async read(dataId: DataId) {
    this.pool.escape(this.valuesOf(dataId));
    return super.read(dataId);
  }

  override disposeData(dataId: DataId, force = false): boolean {
    const values = this.valuesOf(dataId);
    const deleted = super.disposeData(dataId, force);
    if (deleted) this.pool.recycle(values);
    return deleted;
  }

  override dispose(): void {
    this.pool.clear();
    super.dispose();
  }
}

/**
 * A cpu kernel may return a view of an input under a new dataId (slice → subarray): that buffer
 * escapes. Outputs that reuse an input's dataId (Reshape, Identity) share its refcount and are safe.
 */
function escapeShared(backend: OnednnBackend, inputs: KernelArgs['inputs'], result: TensorInfo | TensorInfo[]) {
  const inBuffers = new Set<unknown>();
  const inIds = new Set<unknown>();
  for (const t of Object.values(inputs)) {
    if (!t) continue;
    inIds.add(t.dataId);
    inBuffers.add((backend.data.get(t.dataId)?.values as Float32Array | undefined)?.buffer);
  }
  for (const o of Array.isArray(result) ? result : [result]) {
    if (inIds.has(o.dataId)) continue;
    const v = backend.data.get(o.dataId)?.values as Float32Array | undefined;
    if (v && inBuffers.has(v.buffer)) backend.pool.escape(v);
  }
}

function cpuKernel(cpu: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const result = cpu(args) as TensorInfo | TensorInfo[];
    escapeShared(args.backend as OnednnBackend, args.inputs as KernelArgs['inputs'], result);
    return result;
  };
}

function nativeKernel(native: NativeKernel, cpu: tf.KernelFunc, addon: OnednnAddon): tf.KernelFunc {
  const fallback = cpuKernel(cpu);
  return (args) => native(args as unknown as KernelArgs, addon) ?? fallback(args);
}

/** Registers the backend and a kernel for every cpu kernel; idempotent. Priority 0: never picked by default. */
export function registerOnednnBackend(addon: OnednnAddon): void {
  if (tf.findBackendFactory(BACKEND_NAME)) return;
  tf.registerBackend(BACKEND_NAME, () => new OnednnBackend(), 0);
  for (const config of tf.getKernelsForBackend('cpu')) {
    const native = NATIVE_KERNELS[config.kernelName];
    const kernelFunc = native ? nativeKernel(native, config.kernelFunc, addon) : cpuKernel(config.kernelFunc);
    tf.registerKernel({ ...config, backendName: BACKEND_NAME, kernelFunc });
  }
  registerActivationGradKernel(BACKEND_NAME, addon);
  registerBatchNormKernels(BACKEND_NAME, addon);
  registerDenseKernels(BACKEND_NAME, addon);
  registerConv2DKernel(BACKEND_NAME, addon);
}
