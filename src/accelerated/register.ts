/**
 * How a backend implements the accelerated kernels: it registers its kernel functions here when it
 * registers itself. Their gradients are global per kernel name in tfjs and written in tfjs ops and
 * these kernels, so one registration serves every backend; it is made with the first kernel.
 */
import * as tf from '@tensorflow/tfjs';
import { BATCH_NORM_GRADIENT } from './batch-norm.js';
import { CONV2D_GRADIENT } from './conv2d.js';
import { DENSE_GRADIENT } from './dense.js';
import { type AcceleratedKernelName, BATCH_NORM_TRAIN, CONV2D, DENSE } from './kernels.js';

type GradConfig = Parameters<typeof tf.registerGradient>[0];

const GRADIENTS: Partial<Record<AcceleratedKernelName, GradConfig>> = {
  [DENSE]: DENSE_GRADIENT,
  [CONV2D]: CONV2D_GRADIENT,
  [BATCH_NORM_TRAIN]: BATCH_NORM_GRADIENT,
};

/** Registers `backendName`'s implementations of some accelerated kernels, and their gradients; idempotent. */
export function registerAcceleratedKernels(
  backendName: string,
  kernels: Partial<Record<AcceleratedKernelName, tf.KernelFunc>>,
): void {
  for (const [kernelName, kernelFunc] of Object.entries(kernels)) {
    if (!tf.getKernel(kernelName, backendName)) tf.registerKernel({ kernelName, backendName, kernelFunc });
    const gradient = GRADIENTS[kernelName as AcceleratedKernelName];
    if (gradient && !tf.getGradient(kernelName)) tf.registerGradient(gradient);
  }
}
