/**
 * Registers the 'onednn' backend: every cpu kernel (native where NATIVE_KERNELS has one), the
 * accelerated layer kernels and Adam update (src/accelerated), the dense-stack and layer-stack
 * steps as its whole-step hook, and the layer-stack forward as its inference hook.
 */
import * as tf from '@tensorflow/tfjs';
import { registerAcceleratedKernels, registerFusedPredict, registerFusedTrainStep } from '../../accelerated/index.js';
import type { OnednnAddon } from './addon.js';
import { BACKEND_NAME, OnednnBackend } from './backend.js';
import { denseStackStep } from './dense-stack.js';
import { ACCELERATED_KERNELS, NATIVE_KERNELS } from './kernels/index.js';
import type { KernelArgs, NativeKernel, TensorInfo } from './kernels/native.js';
import { layerStackPredict, layerStackStep } from './layer-stack.js';

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

/** Registers the backend and its kernels; idempotent. Priority 0: never picked by default. */
export function registerOnednnBackend(addon: OnednnAddon): void {
  if (!tf.findBackendFactory(BACKEND_NAME)) {
    tf.registerBackend(BACKEND_NAME, () => new OnednnBackend(), 0);
    for (const config of tf.getKernelsForBackend('cpu')) {
      const native = NATIVE_KERNELS[config.kernelName];
      const kernelFunc = native ? nativeKernel(native, config.kernelFunc, addon) : cpuKernel(config.kernelFunc);
      tf.registerKernel({ ...config, backendName: BACKEND_NAME, kernelFunc });
    }
  }
  const accelerated = Object.entries(ACCELERATED_KERNELS).map(([name, kernel]): [string, tf.KernelFunc] => [
    name,
    (args) => kernel(args as unknown as KernelArgs, addon),
  ]);
  registerAcceleratedKernels(BACKEND_NAME, Object.fromEntries(accelerated));
  registerFusedTrainStep(BACKEND_NAME, {
    name: 'native dense-stack step (one call per batch)',
    // Dense-only stacks take the dense-stack step (it splits their small products' batch between the
    // cores); everything else the layer-stack step covers, whose reason is the one to log.
    plan: (model, options) => {
      const dense = denseStackStep(model, options);
      if (dense.ok) return dense;
      const layers = layerStackStep(model, options);
      return layers.ok ? { ...layers, name: 'native layer-stack step (one call per batch)' } : layers;
    },
  });
  registerFusedPredict(BACKEND_NAME, {
    name: 'native layer-stack forward (one call per batch)',
    plan: layerStackPredict,
  });
}
