/** Step (the ReLU gradient mask), Tile, GatherV2, FusedBatchNorm and Softmax. */
import { allFloat32, alloc, type NativeKernel, output, sizeOf, values } from './native.js';

export const step: NativeKernel = ({ inputs, backend, attrs }, addon) => {
  const { x } = inputs;
  if (!x || !allFloat32(x)) return undefined;
  const out = alloc(backend, sizeOf(x.shape));
  addon.step(Number(attrs?.alpha ?? 0), values(backend, x), out);
  return output(backend, x.shape, out);
};

export const tile: NativeKernel = ({ inputs, backend, attrs }, addon) => {
  const { x } = inputs;
  const reps = attrs?.reps as number[] | undefined;
  if (!x || !reps || reps.length !== x.shape.length || x.shape.length === 0 || !allFloat32(x)) return undefined;
  const outShape = x.shape.map((d, i) => d * reps[i]!);
  if (sizeOf(outShape) === 0) return undefined;
  const out = alloc(backend, sizeOf(outShape));
  addon.tile(values(backend, x), out, x.shape, reps);
  return output(backend, outShape, out);
};

/**
 * GatherV2 of float32 rows (batchDims 0) as block copies. tfjs-layers' fit, evaluate and predict
 * slice every batch out of the data with a gather; the cpu kernel converts each element's index
 * to coordinates and back, ~0.37 s of an ANN's 10,000-image evaluation. An index out of range
 * takes the cpu path, which reports it.
 */
export const gather: NativeKernel = ({ inputs, backend, attrs }) => {
  const { x, indices } = inputs;
  if (!x || !indices || !allFloat32(x) || Number(attrs?.batchDims ?? 0) !== 0) return undefined;
  const rank = x.shape.length;
  const given = Number(attrs?.axis ?? 0);
  const axis = given < 0 ? given + rank : given;
  if (!(axis >= 0 && axis < rank)) return undefined;
  const index = backend.data.get(indices.dataId).values as ArrayLike<number>;
  const extent = x.shape[axis]!;
  for (let i = 0; i < index.length; i++) if (!(index[i]! >= 0 && index[i]! < extent)) return undefined;
  const outer = sizeOf(x.shape.slice(0, axis));
  const inner = sizeOf(x.shape.slice(axis + 1));
  const outShape = [...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)];
  const from = values(backend, x);
  const out = alloc(backend, sizeOf(outShape));
  for (let o = 0, at = 0; o < outer; o++) {
    const base = o * extent * inner;
    for (let i = 0; i < index.length; i++, at += inner) {
      const start = base + index[i]! * inner;
      out.set(from.subarray(start, start + inner), at);
    }
  }
  return output(backend, outShape, out);
};

/** Parameters of one value or one per channel (last axis); anything else takes the cpu path. */
export const fusedBatchNorm: NativeKernel = ({ inputs, backend, attrs }, addon) => {
  const { x, mean, variance, offset, scale } = inputs;
  if (!x || !mean || !variance || x.shape.length === 0 || !allFloat32(x, mean, variance, offset, scale))
    return undefined;
  const channels = x.shape[x.shape.length - 1]!;
  const fits = [mean, variance, offset, scale].every(
    (p) => !p || sizeOf(p.shape) === 1 || sizeOf(p.shape) === channels,
  );
  if (!fits || channels === 0 || sizeOf(x.shape) === 0) return undefined;
  const out = alloc(backend, sizeOf(x.shape));
  const v = (t: typeof x | undefined) => (t ? values(backend, t) : null);
  addon.batchNorm(
    values(backend, x),
    out,
    channels,
    values(backend, mean),
    values(backend, variance),
    v(offset),
    v(scale),
    Number(attrs?.varianceEpsilon ?? 0.001),
  );
  return output(backend, x.shape, out);
};

/** Over the last axis only (what tf.softmax and the layers use); other axes take the cpu path. */
export const softmax: NativeKernel = ({ inputs, backend, attrs }, addon) => {
  const { logits } = inputs;
  if (!logits || logits.shape.length === 0 || !allFloat32(logits)) return undefined;
  const rank = logits.shape.length;
  const dim = Number(attrs?.dim ?? -1);
  if (dim !== -1 && dim !== rank - 1) return undefined;
  const cols = logits.shape[rank - 1]!;
  const size = sizeOf(logits.shape);
  if (cols === 0 || size === 0) return undefined;
  const out = alloc(backend, size);
  addon.softmax(values(backend, logits), out, size / cols, cols);
  return output(backend, logits.shape, out);
};
