/** The 'onednn' tfjs backend: the cpu backend's storage and kernels, with the hot kernels native. */
import * as tf from '@tensorflow/tfjs';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { OnednnAddon } from './addon.js';
import { NATIVE_KERNELS } from './kernels/index.js';
import type { KernelArgs, NativeKernel } from './kernels/native.js';

export const BACKEND_NAME = 'onednn';

/** Tensors live in the same JS typed arrays as on 'cpu'; only kernels differ. */
export class OnednnBackend extends MathBackendCPU {}

function withFallback(native: NativeKernel, cpu: tf.KernelFunc, addon: OnednnAddon): tf.KernelFunc {
  return (args) => native(args as unknown as KernelArgs, addon) ?? cpu(args);
}

/** Registers the backend and a kernel for every cpu kernel; idempotent. Priority 0: never picked by default. */
export function registerOnednnBackend(addon: OnednnAddon): void {
  if (tf.findBackendFactory(BACKEND_NAME)) return;
  tf.registerBackend(BACKEND_NAME, () => new OnednnBackend(), 0);
  for (const config of tf.getKernelsForBackend('cpu')) {
    const native = NATIVE_KERNELS[config.kernelName];
    const kernelFunc = native ? withFallback(native, config.kernelFunc, addon) : config.kernelFunc;
    tf.registerKernel({ ...config, backendName: BACKEND_NAME, kernelFunc });
  }
}
