/** A dense layer's forward: matmul + bias + relu/sigmoid in one native call. */
import type { DenseAttrs } from '../../../accelerated/index.js';
import { FUSED_ACTIVATION } from '../op-codes.js';
import { type AcceleratedKernel, alloc, output, type TensorInfo, values } from './native.js';

/** Inputs x [rows, in], kernel [in, units], bias [units] (optional). */
export const dense: AcceleratedKernel = ({ inputs, backend, attrs }, addon) => {
  const { x, kernel, bias } = inputs as Record<'x' | 'kernel', TensorInfo> & { bias?: TensorInfo };
  const [rows, k] = x.shape as [number, number];
  const units = kernel.shape[1]!;
  const out = alloc(backend, rows * units);
  const activation = FUSED_ACTIVATION[(attrs as unknown as DenseAttrs).activation];
  addon.fusedMatMul(
    values(backend, x),
    values(backend, kernel),
    out,
    1,
    1,
    rows,
    units,
    k,
    false,
    false,
    bias ? values(backend, bias) : null,
    activation,
  );
  return output(backend, [rows, units], out);
};
