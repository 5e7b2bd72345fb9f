import * as tf from '@tensorflow/tfjs';
import type { Info, WasmBackend } from './memory.js';

type Heap = Int32Array | Float32Array | Uint8Array;

/**
 * Tile by block copies. The wasm kernel computes a source index per element; batch norm's
 * gradient tiles per-channel vectors up to the full activation size several times a step, which
 * took about 260 ms of a 1.5 s CNN step (batch 64). Strings go to the original kernel.
 */
export function makeTile(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const x = args.inputs.x as Info;
    if (x.dtype === 'string') return original(args);
    const { reps } = args.attrs as { reps: number[] };
    const wasm = args.backend as WasmBackend;
    const out = wasm.makeOutput(
      x.shape.map((size, i) => size * (reps[i] ?? 1)),
      x.dtype,
    );
    const src = wasm.typedArrayFromHeap(x) as Heap;
    const dst = wasm.typedArrayFromHeap(out) as Heap;
    if (dst.length > 0) tileInto(src, x.shape, reps, dst);
    return out;
  };
}

/** Writes x tiled by reps into dst, outer dims first: place each sub-block once, then repeat it. */
export function tileInto(src: Heap, shape: number[], reps: number[], dst: Heap): void {
  const rank = shape.length;
  const inStride = tf.util.computeStrides(shape);
  const outShape = shape.map((size, i) => size * (reps[i] ?? 1));
  const outStride = tf.util.computeStrides(outShape);
  const place = (dim: number, from: number, to: number): void => {
    if (rank === 0) {
      dst[0] = src[0]!;
      return;
    }
    const size = shape[dim]!;
    if (dim === rank - 1) dst.set(src.subarray(from, from + size), to);
    else for (let i = 0; i < size; i++) place(dim + 1, from + i * inStride[dim]!, to + i * outStride[dim]!);
    const block = size * (outStride[dim] ?? 1);
    repeat(dst, to, block, block * (reps[dim] ?? 1));
  };
  place(0, 0, 0);
}

/** dst[start + block, start + total) = copies of dst[start, start + block), doubling each time. */
function repeat(dst: Heap, start: number, block: number, total: number): void {
  for (let done = block; done < total; done += Math.min(done, total - done)) {
    dst.copyWithin(start + done, start, start + Math.min(done, total - done));
  }
}
