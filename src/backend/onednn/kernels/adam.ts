/** One Adam step for one variable in a single native pass, into pooled buffers (see pool.ts). */
import type { AdamUpdateAttrs } from '../../../accelerated/index.js';
import { type AcceleratedKernel, alloc, output, sizeOf, type TensorInfo, values } from './native.js';

/** The hyperparameters in the order native/src reads them (adam and the dense-stack step). */
export function adamHyper(a: AdamUpdateAttrs): Float32Array {
  return new Float32Array([a.beta1, a.beta2, a.learningRate, a.epsilon, a.biasCorrection1, a.biasCorrection2]);
}

/** Inputs value, gradient, m, v; outputs the new value, m and v. */
export const adamUpdate: AcceleratedKernel = ({ inputs, backend, attrs }, addon) => {
  const { value, gradient, m, v } = inputs as Record<'value' | 'gradient' | 'm' | 'v', TensorInfo>;
  const size = sizeOf(value.shape);
  const [ow, om, ov] = [alloc(backend, size), alloc(backend, size), alloc(backend, size)];
  const hyper = adamHyper(attrs as unknown as AdamUpdateAttrs);
  const [w, g] = [values(backend, value), values(backend, gradient)];
  addon.adam(w, g, values(backend, m), values(backend, v), ow, om, ov, hyper);
  return [output(backend, value.shape, ow), output(backend, value.shape, om), output(backend, value.shape, ov)];
};
