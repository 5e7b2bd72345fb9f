/**
 * A dense layer's forward (matmul + bias + relu/sigmoid in one native call) with a gradient whose
 * parts are computed only when asked for. tfjs's fused matMul is a customGrad that always computes
 * all three, including the gradient for the layer's input — for a model's first layer that is the
 * gradient for the images: a full, wasted matmul (20% of the notebook ANN's arithmetic). The layer
 * (src/model/dense.ts) calls `denseForward` when the backend has these kernels.
 */
import * as tf from '@tensorflow/tfjs';
import { FUSED_ACTIVATION, type OnednnAddon } from '../addon.js';
import { type FusedActivation, throughActivation } from './activation-grad.js';
import { alloc, type KernelArgs, output, type TensorInfo, values } from './native.js';

export const DENSE = 'OnednnDense';
/** Activations the native kernel applies itself; any other runs after it, as its own op. */
export type DenseActivation = FusedActivation;
export const DENSE_ACTIVATIONS: readonly string[] = ['linear', 'relu', 'sigmoid'] satisfies DenseActivation[];

/** Inputs x [rows, in], kernel [in, units], bias [units] (optional); attrs activation. */
function dense({ inputs, backend, attrs }: KernelArgs, addon: OnednnAddon): TensorInfo {
  const { x, kernel, bias } = inputs as Record<'x' | 'kernel', TensorInfo> & { bias?: TensorInfo };
  const [rows, k] = x.shape as [number, number];
  const units = kernel.shape[1]!;
  const out = alloc(backend, rows * units);
  const activation = FUSED_ACTIVATION[attrs!.activation as DenseActivation];
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
}

export function registerDenseKernels(backendName: string, addon: OnednnAddon): void {
  if (!tf.getKernel(DENSE, backendName)) {
    tf.registerKernel({
      kernelName: DENSE,
      backendName,
      kernelFunc: (args) => dense(args as unknown as KernelArgs, addon),
    });
  }
  if (!tf.getGradient(DENSE)) {
    tf.registerGradient({
      kernelName: DENSE,
      inputsToSave: ['x', 'kernel'],
      outputsToSave: [true],
      gradFunc: (dy, saved, attrs) => {
        const [x, kernel, y] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
        // Shared by all three parts, so computed here, once; each part only when asked for.
        const g = throughActivation(dy as tf.Tensor, y, attrs.activation as DenseActivation);
        return {
          x: () => tf.matMul(g, kernel, false, true),
          kernel: () => tf.matMul(x, g, true, false),
          bias: () => tf.sum(g, 0),
        };
      },
    });
  }
}

/** x·kernel + bias, then `activation`; differentiable in all three. x is rank 2. */
export function denseForward(
  x: tf.Tensor,
  kernel: tf.Tensor,
  bias: tf.Tensor | null,
  activation: DenseActivation,
): tf.Tensor {
  const inputs: tf.NamedTensorMap = bias ? { x, kernel, bias } : { x, kernel };
  return tf.engine().runKernel(DENSE, inputs, { activation }) as tf.Tensor;
}

export function hasDenseKernel(): boolean {
  return tf.getKernel(DENSE, tf.getBackend()) !== undefined;
}
