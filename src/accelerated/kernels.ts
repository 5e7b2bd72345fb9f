/**
 * The accelerated kernels: tfjs kernel names that any backend may implement, with their inputs,
 * outputs and attrs. The layers and Adam call them where the active backend has them
 * (`hasKernel`) and take tfjs's own ops where it has none, so a model compiles the same on every
 * backend. Kernel names are global in tfjs, like its own ('MatMul'): no backend is named in them.
 */
import * as tf from '@tensorflow/tfjs';

/** Inputs x [rows, in], kernel [in, units], bias [units] (optional); DenseAttrs; output [rows, units]. */
export const DENSE = 'AcceleratedDense';
/** Inputs x (NHWC), filter, bias (optional); Conv2DAttrs plus dataFormat 'NHWC' and dilations 1; output y. */
export const CONV2D = 'AcceleratedConv2D';
/** Inputs x, scale, offset ([channels], the last axis); BatchNormAttrs; outputs y, batch mean, batch variance. */
export const BATCH_NORM_TRAIN = 'AcceleratedBatchNormTrain';
/** Inputs dy, x, scale, mean, variance; BatchNormAttrs; outputs dx, dScale, dOffset. */
export const BATCH_NORM_GRAD = 'AcceleratedBatchNormGrad';
/** Inputs dy, y (the activation's output); ActivationGradAttrs; output dy carried back through it. */
export const ACTIVATION_GRAD = 'AcceleratedActivationGrad';
/** Inputs value, gradient, m, v (float32, one shape); AdamUpdateAttrs; outputs the new value, m and v. */
export const ADAM_UPDATE = 'AcceleratedAdamUpdate';

export type AcceleratedKernelName =
  | typeof DENSE
  | typeof CONV2D
  | typeof BATCH_NORM_TRAIN
  | typeof BATCH_NORM_GRAD
  | typeof ACTIVATION_GRAD
  | typeof ADAM_UPDATE;

/** The activations the layer kernels apply themselves; 'linear' is none. Others run after, as their own op. */
export type FusedActivation = 'linear' | 'relu' | 'sigmoid';
export type DenseActivation = FusedActivation;
export const DENSE_ACTIVATIONS: readonly string[] = ['linear', 'relu', 'sigmoid'] satisfies DenseActivation[];
export type Conv2DActivation = 'linear' | 'relu';
export const CONV2D_ACTIVATIONS: readonly string[] = ['linear', 'relu'] satisfies Conv2DActivation[];

export interface DenseAttrs {
  activation: DenseActivation;
}
export interface Conv2DAttrs {
  strides: [number, number];
  pad: 'valid' | 'same';
  activation: Conv2DActivation;
}
export interface BatchNormAttrs {
  epsilon: number;
}
export interface ActivationGradAttrs {
  activation: Exclude<FusedActivation, 'linear'>;
}
/** One Adam step for one variable, with tfjs's AdamOptimizer arithmetic. */
export interface AdamUpdateAttrs {
  beta1: number;
  beta2: number;
  learningRate: number;
  epsilon: number;
  /** 1 - beta1^t and 1 - beta2^t at this step t. */
  biasCorrection1: number;
  biasCorrection2: number;
}

/** Whether the active backend implements `kernelName`. */
export function hasKernel(kernelName: AcceleratedKernelName): boolean {
  return tf.getKernel(kernelName, tf.getBackend()) !== undefined;
}

/** Runs one of the kernels; the attrs interfaces above are tfjs's untyped attr map. */
export function runKernel(
  kernelName: AcceleratedKernelName,
  inputs: tf.NamedTensorMap,
  attrs: object,
): tf.Tensor | tf.Tensor[] {
  return tf.engine().runKernel(kernelName, inputs, attrs as tf.NamedAttrMap) as tf.Tensor | tf.Tensor[];
}
