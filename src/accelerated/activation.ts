/**
 * The gradient through a fused relu or sigmoid, from the activation's output. Shared by the dense
 * and conv2d gradients, whose forward applies the activation itself. One kernel call where the
 * backend has ACTIVATION_GRAD, else the same arithmetic in tfjs ops, so a backend may implement
 * the layer kernels without it.
 */
import * as tf from '@tensorflow/tfjs';
import { ACTIVATION_GRAD, type ActivationGradAttrs, type FusedActivation, hasKernel, runKernel } from './kernels.js';

/** dy carried back through `activation`, whose output was y (dy itself for 'linear'). */
export function throughActivation(dy: tf.Tensor, y: tf.Tensor, activation: FusedActivation): tf.Tensor {
  if (activation === 'linear') return dy;
  if (hasKernel(ACTIVATION_GRAD)) {
    return runKernel(ACTIVATION_GRAD, { dy, y }, { activation } satisfies ActivationGradAttrs) as tf.Tensor;
  }
  // relu' = step(y) (1 where y > 0); sigmoid' = y (1 - y), in the kernel's order: dy * y * (1 - y).
  return activation === 'relu' ? tf.mul(dy, tf.step(y)) : tf.mul(tf.mul(dy, y), tf.sub(1, y));
}
