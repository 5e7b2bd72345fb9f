/**
 * Inference a backend runs its own way (onednn: a model's whole stack of layers in one native call
 * per batch). A backend registers a hook under its tfjs name when it registers itself;
 * src/model/inference.ts asks for the active backend's and predicts through model.predict where
 * there is none or the hook declines the model.
 */
import type * as tf from '@tensorflow/tfjs';
import { perBackend } from './per-backend.js';

/** The model's outputs for `rows` samples `x` ([rows, ...sample]), row-major: what model.predict gives. */
export type FusedPredict = (x: Float32Array, rows: number) => Float32Array;

export type FusedPredictPlan = { ok: true; predict: FusedPredict } | { ok: false; reason: string };

export interface FusedPredictHook {
  /** What the forward pass is, in words, for the run log. */
  name: string;
  /** The forward pass for `model`, or why the backend will not run it. */
  plan: (model: tf.LayersModel) => FusedPredictPlan;
}

const HOOKS = perBackend<FusedPredictHook>();

/** Registers `backendName`'s inference hook; registering again replaces it. Returns the undo. */
export const registerFusedPredict = HOOKS.register;

/** The active backend's forward pass for `model` and its name, or why there is none. */
export function fusedPredict(
  model: tf.LayersModel,
): { ok: true; predict: FusedPredict; name: string } | { ok: false; reason: string } {
  const hook = HOOKS.active();
  if (!hook) return { ok: false, reason: HOOKS.absent() };
  const plan = hook.plan(model);
  return plan.ok ? { ...plan, name: hook.name } : plan;
}
