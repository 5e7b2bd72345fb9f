/**
 * Whole training steps a backend runs its own way (onednn: a stack of dense layers, or of conv,
 * dense, batch norm, pooling and dropout layers, in one native call). A backend registers a hook
 * under its tfjs name when it registers itself; src/train/step.ts asks for the active backend's
 * and trains through model.trainOnBatch where there is none or the hook declines the model.
 */
import type * as tf from '@tensorflow/tfjs';
import { perBackend } from './per-backend.js';

/**
 * One step on a batch: `x` [rows, ...sample] and one-hot `targets`; returns [loss, ...metrics] in
 * compile order. With `at` (a plan's `gathers`), x holds every sample and the batch is x's samples
 * at those indices, gathered by the step itself.
 */
export type FusedTrainStep = (x: Float32Array, targets: Float32Array, rows: number, at?: Uint32Array) => number[];

export interface FusedTrainStepOptions {
  /** The config's metric names, in compile order. */
  metricNames: readonly string[];
  labelFormat: 'oneHot' | 'sparse';
  numClasses: number;
}

/** `name`, where given, says which of the hook's steps this is (else the hook's name). */
export type FusedTrainStepPlan =
  | { ok: true; step: FusedTrainStep; name?: string; gathers?: boolean }
  | { ok: false; reason: string };

export interface FusedTrainStepHook {
  /** What the step is, in words, for the run log. */
  name: string;
  /** The step for `model`, or why the backend will not run it. */
  plan: (model: tf.LayersModel, options: FusedTrainStepOptions) => FusedTrainStepPlan;
}

const HOOKS = perBackend<FusedTrainStepHook>();

/**
 * Registers `backendName`'s whole-step hook; registering again replaces it. Returns the undo: the
 * hook registered before, or none.
 */
export const registerFusedTrainStep = HOOKS.register;

/** The active backend's step for `model` and its name, or why there is none. */
export function fusedTrainStep(
  model: tf.LayersModel,
  options: FusedTrainStepOptions,
): { ok: true; step: FusedTrainStep; name: string; gathers: boolean } | { ok: false; reason: string } {
  const hook = HOOKS.active();
  if (!hook) return { ok: false, reason: HOOKS.absent() };
  const plan = hook.plan(model, options);
  return plan.ok ? { ok: true, step: plan.step, name: plan.name ?? hook.name, gathers: plan.gathers ?? false } : plan;
}
