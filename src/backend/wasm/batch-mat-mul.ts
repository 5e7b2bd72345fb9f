import * as tf from '@tensorflow/tfjs';
import { free, type Info, viewAs, type WasmBackend } from './memory.js';
import { transposedCopy } from './transpose.js';

const batchOf = (shape: number[]) => tf.util.sizeFromShape(shape.slice(0, -2));

/**
 * Wraps tfjs-backend-wasm's BatchMatMul so transposed batch-1 products also reach XNNPACK: the
 * wasm kernel sends only untransposed ones there and runs the rest as a scalar triple loop, which
 * made the dense layers' weight and input gradients (xᵀ·dy, dy·Wᵀ) the slowest ops of a training
 * step. Materialising the transpose costs one pass over the operand.
 */
export function makeBatchMatMul(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { a, b } = args.inputs as { a: Info; b: Info };
    const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
    const plain = !transposeA && !transposeB;
    if (plain || batchOf(a.shape) !== 1 || batchOf(b.shape) !== 1 || a.dtype !== 'float32' || b.dtype !== 'float32') {
      return original(args);
    }
    const wasm = args.backend as WasmBackend;
    const a2 = transposeA ? transposedLast2(wasm, a) : a;
    const b2 = transposeB ? transposedLast2(wasm, b) : b;
    const out = original({
      ...args,
      inputs: { a: a2, b: b2 },
      attrs: { transposeA: false, transposeB: false },
    }) as Info;
    if (a2 !== a) free(wasm, a2);
    if (b2 !== b) free(wasm, b2);
    const outer = (a.shape.length >= b.shape.length ? a.shape : b.shape).slice(0, -2);
    return viewAs(out, [...outer, ...out.shape.slice(-2)]);
  };
}

function transposedLast2(wasm: WasmBackend, info: Info): Info {
  const [rows, cols] = info.shape.slice(-2) as [number, number];
  return transposedCopy(wasm, info, rows, cols);
}
