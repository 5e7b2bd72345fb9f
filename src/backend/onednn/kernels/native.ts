/** What a native kernel sees, and the small helpers they all share. */
import type * as tf from '@tensorflow/tfjs';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { OnednnAddon } from '../addon.js';

export type TensorInfo = tf.TensorInfo;
export interface KernelArgs {
  inputs: Record<string, TensorInfo | undefined>;
  backend: MathBackendCPU;
  attrs?: Record<string, unknown>;
}

/**
 * A native kernel returns `undefined` for cases it does not cover (other dtypes, rare attributes),
 * and the cpu backend's kernel runs instead: same results, just slower.
 */
export type NativeKernel = (args: KernelArgs, addon: OnednnAddon) => TensorInfo | undefined;

/** An accelerated kernel (src/accelerated): callers send only cases it covers, so it always answers. */
export type AcceleratedKernel = (args: KernelArgs, addon: OnednnAddon) => TensorInfo | TensorInfo[];

/**
 * The tensor's own Float32Array (not a copy): the addon reads it in place. A float32 tensor can
 * still hold another array type: the cpu backend's Cast to float32 from bool or int32 shares the
 * input's data (a Uint8Array or Int32Array) under the new dtype. Read as floats that gave nonsense
 * (the accuracy metric is such a cast), so those few get a float copy; the shared data stays as is.
 */
export function values(backend: MathBackendCPU, t: TensorInfo): Float32Array {
  const v = backend.data.get(t.dataId).values;
  return v instanceof Float32Array ? v : Float32Array.from(v as ArrayLike<number>);
}

export function allFloat32(...ts: (TensorInfo | undefined)[]): boolean {
  return ts.every((t) => t === undefined || t.dtype === 'float32');
}

export const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** An output buffer of `length` floats, possibly reused (stale contents: write every element). */
export function alloc(backend: MathBackendCPU, length: number): Float32Array {
  const pool = (backend as { pool?: { take(n: number): Float32Array } }).pool;
  return pool ? pool.take(length) : new Float32Array(length);
}

/** Wraps a kernel's output buffer as a tensor; the backend recycles it when the tensor is disposed. */
export function output(backend: MathBackendCPU, shape: number[], data: Float32Array): TensorInfo {
  return backend.makeTensorInfo(shape, 'float32', data);
}
