import * as tf from '@tensorflow/tfjs';
import { DEFAULT_COLUMN_BUDGET } from './conv2d-backprop-filter.js';
import { type ConvGeometry, type ConvGradAttrs, convGeometry, imagesPerChunk } from './geometry.js';
import { scatterColumns } from './im2col.js';
import { alloc, copyRows, f32, free, type Info, matMul, viewAs, type WasmBackend, zeros } from './memory.js';
import { transposedCopy } from './transpose.js';

interface InputGradAttrs extends ConvGradAttrs {
  inputShape: [number, number, number, number];
}

/**
 * Conv2DBackpropInput as dcols [m, k] = dy [m, co] · Wᵀ [co, k] (XNNPACK, via BatchMatMul)
 * followed by col2im in JS. Replaces tfjs-backend-wasm's own kernel, a scalar C++ loop that takes
 * about 7× as long as the forward convolution, and adds dilation support.
 */
export function makeConv2DBackpropInput(columnBudget = DEFAULT_COLUMN_BUDGET): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { dy, filter } = inputs as { dy: Info; filter: Info };
    const a = attrs as unknown as InputGradAttrs;
    const geo = convGeometry(tf.Conv2DBackpropInput, a.inputShape, filter.shape, dy.shape, a);
    const wasm = backend as WasmBackend;
    if (geo.n * geo.p === 0) return zeros(wasm, a.inputShape);
    const dx = alloc(wasm, a.inputShape);
    // [k, co] → [1, co, k]: the right-hand operand XNNPACK wants, packed once per call.
    const filterT = transposedCopy(wasm, filter, geo.k, geo.co);
    f32(wasm, dx).fill(0);
    const chunk = imagesPerChunk(geo, columnBudget);
    for (let b0 = 0; b0 < geo.n; b0 += chunk) {
      scatterChunk(wasm, dy, filterT, geo, b0, Math.min(geo.n, b0 + chunk), dx);
    }
    free(wasm, filterT);
    return dx;
  };
}

function scatterChunk(
  wasm: WasmBackend,
  dy: Info,
  filterT: Info,
  geo: ConvGeometry,
  b0: number,
  b1: number,
  dx: Info,
): void {
  const m = (b1 - b0) * geo.p;
  const whole = b0 === 0 && b1 === geo.n;
  const dyRows = whole
    ? viewAs(dy, [1, m, geo.co])
    : copyRows(wasm, dy, geo.co, b0 * geo.p, b1 * geo.p, [1, m, geo.co]);
  const cols = matMul(wasm, dyRows, filterT);
  scatterColumns(f32(wasm, cols), geo, b0, b1, f32(wasm, dx));
  free(wasm, cols);
  if (!whole) free(wasm, dyRows);
}
