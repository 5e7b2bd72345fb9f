import * as tf from '@tensorflow/tfjs';
import { type ConvGeometry, type ConvGradAttrs, convGeometry, imagesPerChunk } from './geometry.js';
import { fillColumnsTransposed } from './im2col.js';
import { alloc, copyRows, f32, free, type Info, matMul, viewAs, type WasmBackend, zeros } from './memory.js';

/** Floats in one im2col chunk: 16 Mi floats = 64 MiB of wasm heap, whatever the batch size. */
export const DEFAULT_COLUMN_BUDGET = 16 * 1024 * 1024;

interface FilterGradAttrs extends ConvGradAttrs {
  filterShape: [number, number, number, number];
}

/**
 * Conv2DBackpropFilter, which tfjs-backend-wasm 4.22.0 lacks: dW [k, co] = colsᵀ [k, m] · dy [m, co]
 * with m running over (image, out row, out col). The transposed im2col is built in JS and the
 * product runs in XNNPACK via the backend's BatchMatMul. Images are taken in chunks so the
 * column buffer stays within `columnBudget` floats; chunk results are summed.
 */
export function makeConv2DBackpropFilter(columnBudget = DEFAULT_COLUMN_BUDGET): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x, dy } = inputs as { x: Info; dy: Info };
    const a = attrs as unknown as FilterGradAttrs;
    const geo = convGeometry(tf.Conv2DBackpropFilter, x.shape, a.filterShape, dy.shape, a);
    const wasm = backend as WasmBackend;
    if (geo.n * geo.p === 0) return zeros(wasm, a.filterShape);
    const chunk = imagesPerChunk(geo, columnBudget);
    let sum: Info | undefined;
    for (let b0 = 0; b0 < geo.n; b0 += chunk) {
      const part = chunkGradient(wasm, x, dy, geo, b0, Math.min(geo.n, b0 + chunk));
      sum = sum ? addInto(wasm, sum, part) : part;
    }
    return viewAs(sum!, a.filterShape);
  };
}

/** colsᵀ · dy for images [b0, b1) as a fresh [1, k, co] tensor. */
function chunkGradient(wasm: WasmBackend, x: Info, dy: Info, geo: ConvGeometry, b0: number, b1: number): Info {
  const m = (b1 - b0) * geo.p;
  const cols = alloc(wasm, [1, geo.k, m]);
  const whole = b0 === 0 && b1 === geo.n;
  // dy itself when it is all one chunk: XNNPACK's packing of it is then cached until dy is freed.
  const dyRows = whole
    ? viewAs(dy, [1, m, geo.co])
    : copyRows(wasm, dy, geo.co, b0 * geo.p, b1 * geo.p, [1, m, geo.co]);
  fillColumnsTransposed(f32(wasm, x), geo, b0, b1, f32(wasm, cols));
  const part = matMul(wasm, cols, dyRows);
  free(wasm, cols);
  if (!whole) free(wasm, dyRows);
  return part;
}

/** sum += part, then frees part. */
function addInto(wasm: WasmBackend, sum: Info, part: Info): Info {
  const total = f32(wasm, sum);
  const add = f32(wasm, part);
  for (let i = 0; i < total.length; i++) total[i]! += add[i]!;
  free(wasm, part);
  return sum;
}
