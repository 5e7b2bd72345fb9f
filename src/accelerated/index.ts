/**
 * The backend-neutral surface of the accelerated layers: what src/model and src/train use, and
 * what a backend implements. Kernels: kernels.ts; the differentiable wrappers and their gradients:
 * dense.ts, conv2d.ts, batch-norm.ts, activation.ts; Adam: adam.ts; whole training steps:
 * train-step.ts. A backend registers its implementations (register.ts, train-step.ts); on one that
 * registers nothing every piece takes tfjs's own path.
 */
export { throughActivation } from './activation.js';
export { AcceleratedAdam, acceleratedAdam } from './adam.js';
export { batchNormTraining, hasBatchNormTraining } from './batch-norm.js';
export { conv2dForward, hasConv2DKernel } from './conv2d.js';
export { denseForward, hasDenseKernel } from './dense.js';
export { type DeviceTraits, deviceTraits, registerDeviceTraits } from './device.js';
export {
  ACTIVATION_GRAD,
  type AcceleratedKernelName,
  type ActivationGradAttrs,
  ADAM_UPDATE,
  type AdamUpdateAttrs,
  BATCH_NORM_GRAD,
  BATCH_NORM_TRAIN,
  type BatchNormAttrs,
  CONV2D,
  CONV2D_ACTIVATIONS,
  type Conv2DActivation,
  type Conv2DAttrs,
  DENSE,
  DENSE_ACTIVATIONS,
  type DenseActivation,
  type DenseAttrs,
  type FusedActivation,
  hasKernel,
} from './kernels.js';
export * from './predict.js';
export { registerAcceleratedKernels } from './register.js';
export * from './train-step.js';
