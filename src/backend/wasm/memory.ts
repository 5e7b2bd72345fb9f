import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { BackendError } from '../../errors.js';

/**
 * Tensor memory on the wasm heap, seen from TypeScript kernels.
 *
 * Invariant every caller must keep: any allocation (`alloc`, `matMul`) may grow the wasm memory,
 * which detaches every Float32Array view taken before it. Take views with `f32` only after the
 * last allocation they have to survive.
 */
export type WasmBackend = BackendWasm;
export type Info = tf.TensorInfo;

/** A float32 view of a tensor's bytes on the heap: no copy, writes go straight to the tensor. */
export function f32(backend: WasmBackend, info: Info): Float32Array {
  return backend.typedArrayFromHeap(info) as Float32Array;
}

/** Uninitialised (malloc'd, not zeroed) float32 tensor owned by the caller until returned or freed. */
export function alloc(backend: WasmBackend, shape: number[]): Info {
  return backend.makeOutput(shape, 'float32');
}

/** A zero-filled float32 tensor, for gradients of empty batches. */
export function zeros(backend: WasmBackend, shape: number[]): Info {
  const out = alloc(backend, shape);
  f32(backend, out).fill(0);
  return out;
}

export function free(backend: WasmBackend, info: Info): void {
  backend.disposeData(info.dataId);
}

/** The same data under another shape, as the wasm Reshape kernel does (no copy, no new id). */
export function viewAs(info: Info, shape: number[]): Info {
  return { dataId: info.dataId, shape, dtype: info.dtype };
}

/** A fresh tensor holding rows [from, to) of a row-major tensor whose rows have `rowSize` floats. */
export function copyRows(
  backend: WasmBackend,
  info: Info,
  rowSize: number,
  from: number,
  to: number,
  shape: number[],
): Info {
  const out = alloc(backend, shape);
  f32(backend, out).set(f32(backend, info).subarray(from * rowSize, to * rowSize));
  return out;
}

/**
 * [1, m, k] × [1, k, n] → [1, m, n] through the wasm backend's own BatchMatMul kernel, which
 * hands untransposed batch-1 products to XNNPACK (SIMD GEMM: 24 ms for the 288×36864×32
 * product of a 64-image conv2d filter gradient, where the cpu backend's JS matMul takes 1.1 s).
 * XNNPACK packs `b` once and caches the packing under b's tensor id until b is disposed, so `b`
 * must be a tensor whose data never changes afterwards.
 */
export function matMul(backend: WasmBackend, a: Info, b: Info): Info {
  const kernel = tf.getKernel(tf.BatchMatMul, 'wasm');
  if (!kernel) {
    throw new BackendError(
      'the wasm backend has no BatchMatMul kernel\n  fix: reinstall @tensorflow/tfjs-backend-wasm@4.22.0 (`npm ci`)',
    );
  }
  const attrs = { transposeA: false, transposeB: false };
  return kernel.kernelFunc({ inputs: { a, b }, backend, attrs }) as Info;
}
