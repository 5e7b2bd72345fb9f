/**
 * The gradient through a fused relu or sigmoid, from the activation's output: one native pass.
 * Shared by the dense and conv2d layer kernels, whose forward applies the activation itself.
 */
import * as tf from '@tensorflow/tfjs';
import { BINARY, type OnednnAddon } from '../addon.js';
import { alloc, type KernelArgs, output, sizeOf, type TensorInfo, values } from './native.js';

export const ACTIVATION_GRAD = 'OnednnActivationGrad';
/** The activations the layer kernels fuse; 'linear' is none. */
export type FusedActivation = 'linear' | 'relu' | 'sigmoid';

function activationGrad({ inputs, backend, attrs }: KernelArgs, addon: OnednnAddon): TensorInfo {
  const { dy, y } = inputs as Record<'dy' | 'y', TensorInfo>;
  const out = alloc(backend, sizeOf(dy.shape));
  const code = attrs!.activation === 'relu' ? BINARY.reluGrad : BINARY.sigmoidGrad;
  addon.binary(code, values(backend, dy), values(backend, y), out, [out.length], [1], [1]);
  return output(backend, dy.shape, out);
}

export function registerActivationGradKernel(backendName: string, addon: OnednnAddon): void {
  if (tf.getKernel(ACTIVATION_GRAD, backendName)) return;
  tf.registerKernel({
    kernelName: ACTIVATION_GRAD,
    backendName,
    kernelFunc: (args) => activationGrad(args as unknown as KernelArgs, addon),
  });
}

/** dy carried back through `activation`, whose output was y (dy itself for 'linear'). */
export function throughActivation(dy: tf.Tensor, y: tf.Tensor, activation: FusedActivation): tf.Tensor {
  return activation === 'linear'
    ? dy
    : (tf.engine().runKernel(ACTIVATION_GRAD, { dy, y }, { activation }) as tf.Tensor);
}
