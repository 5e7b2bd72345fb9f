/** The gradient through a fused relu or sigmoid, from the activation's output: one native pass. */
import type { ActivationGradAttrs } from '../../../accelerated/index.js';
import { BINARY } from '../op-codes.js';
import { type AcceleratedKernel, alloc, output, sizeOf, type TensorInfo, values } from './native.js';

export const activationGrad: AcceleratedKernel = ({ inputs, backend, attrs }, addon) => {
  const { dy, y } = inputs as Record<'dy' | 'y', TensorInfo>;
  const out = alloc(backend, sizeOf(dy.shape));
  const code = (attrs as unknown as ActivationGradAttrs).activation === 'relu' ? BINARY.reluGrad : BINARY.sigmoidGrad;
  addon.binary(code, values(backend, dy), values(backend, y), out, [out.length], [1], [1]);
  return output(backend, dy.shape, out);
};
