import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import type { FusedTrainStepOptions, FusedTrainStepPlan } from '../../src/accelerated/index.js';
import { denseStackStep } from '../../src/backend/onednn/dense-stack.js';
import { loadConfig } from '../../src/config/load.js';
import { oneHot } from '../../src/data/dataset.js';
import { compileModel } from '../../src/model/compile.js';
import { Mulberry32, withMathRandom } from '../../src/util/random.js';
import { relativeError, seededFloats } from './cross-check.js';

export async function compiled(file: string, overrides: string[] = []) {
  const { config } = await loadConfig(file, overrides);
  return { config, model: compileModel(config, [28, 28], config.seed) };
}

/** Seeded batches: pixels in [0, 1), labels 0..9. */
export function batch(i: number, rows = 32): { x: Float32Array; labels: Uint8Array } {
  const labels = Uint8Array.from(seededFloats(rows, 100 + i, 0, 10), (v) => Math.floor(v));
  return { x: seededFloats(rows * 784, 200 + i, 0, 1), labels };
}

export const stepOptions = (config: { metrics: readonly string[] }) => ({
  sampleShape: [28, 28],
  numClasses: 10,
  labelFormat: 'oneHot' as const,
  metricNames: config.metrics,
});

type NativeStep = (model: tf.LayersModel, o: FusedTrainStepOptions) => FusedTrainStepPlan;

/**
 * `steps` steps through a native step (`native`: the dense-stack step by default) on onednn, then
 * `tfjsSteps` through model.trainOnBatch on onednn (the optimizer's state carrying over), each
 * checked against one model.trainOnBatch on `reference` from the same state: before every step the
 * reference model takes the onednn model's weights (batch norm's moving statistics included) and
 * its optimizer's state. Both sides draw dropout's masks from a Math.random seeded alike, as a run
 * does. Returns the largest relative error over every step's weights (see roundingOnly for the
 * exception) and every step's loss and metrics.
 *
 * Step by step, not over a run: two float orders of the same sums leave weights ~1e-7 apart, and a
 * relu input or a max pool's window that sits that close to its tie goes the other way on the next
 * step. With batch statistics that moved a batch norm's offset 2e-3 of its scale a step later on
 * one machine (tfjs's own training on onednn, started from the native step's weights, went the same
 * way) and 2e-2 after three: no fault, but no bound either. Each step from the same state checks
 * every gradient and every piece of state the step writes (a moment or a moving average left
 * unwritten differs from the reference's on that step) within 1e-4, on any machine.
 */
export async function compareWithTfjs(
  reference: 'cpu' | 'onednn',
  file: string,
  overrides: string[],
  steps = 3,
  tfjsSteps = 0,
  rows = 32,
  native: NativeStep = denseStackStep,
): Promise<{ weights: number; logs: number; roundingNoise: number; apart: number }> {
  await tf.setBackend(reference);
  const ref = await compiled(file, overrides);
  await tf.setBackend('onednn');
  const got = await compiled(file, overrides);
  const plan = native(got.model, { ...stepOptions(got.config), labelFormat: 'oneHot' });
  if (!plan.ok) throw new Error(`native step not taken: ${plan.reason}`);
  const noise = roundingOnly(got.model);
  // one stream per side, each drawing a step's masks as the other does
  const [gotRandom, refRandom] = [new Mulberry32(7), new Mulberry32(7)];
  const train = async (model: tf.LayersModel, i: number) => {
    const { x, labels } = batch(i, rows);
    const out = await model.trainOnBatch(tf.tensor(x, [rows, 28, 28]), tf.tensor2d(oneHot(labels, 10), [rows, 10]));
    return Array.isArray(out) ? out : [out];
  };
  let weights = 0;
  let apart = 0;
  let logs = 0;
  for (let i = 0; i < steps + tfjsSteps; i++) {
    await tf.setBackend(reference);
    await copyState(got.model, ref.model);
    const refLogs = await withMathRandom(refRandom, () => train(ref.model, i));
    await tf.setBackend('onednn');
    const gotLogs = await withMathRandom(gotRandom, async () => {
      if (i >= steps) return train(got.model, i);
      const { x, labels } = batch(i, rows);
      return plan.step(x, oneHot(labels, 10), rows);
    });
    expect(gotLogs.length, `step ${i}'s logs`).toBe(refLogs.length);
    gotLogs.forEach((v, j) => {
      logs = Math.max(logs, Math.abs(v - refLogs[j]!) / Math.max(Math.abs(refLogs[j]!), 1e-3));
    });
    const compared = [...weightPairs(got.model, ref.model), ...(await optimizerPairs(got.model, ref.model))];
    for (const [name, g, r] of compared) {
      if (noise.has(name)) continue;
      const e = relativeError(r, g);
      weights = Math.max(weights, e);
      apart = Math.max(apart, fractionApart(r, g));
    }
  }
  const roundingNoise = Math.max(
    0,
    ...got.model.weights.filter((w) => noise.has(w.name)).map((w) => maxAbs(w.read().dataSync() as Float32Array)),
  );
  got.model.dispose();
  ref.model.dispose();
  return { weights, logs, roundingNoise, apart };
}

const values = (t: tf.Tensor) => Float32Array.from(t.dataSync());

/** The model's weights, its batch norms' moving statistics among them, beside the reference's. */
function weightPairs(got: tf.LayersModel, ref: tf.LayersModel): [string, Float32Array, Float32Array][] {
  return got.weights.map((w, i) => [w.name, values(w.read()), values(ref.weights[i]!.read())]);
}

/** The optimizer's state (Adam's moments; nothing for SGD) beside the reference's, by position. */
async function optimizerPairs(
  got: tf.LayersModel,
  ref: tf.LayersModel,
): Promise<[string, Float32Array, Float32Array][]> {
  const [g, r] = [await got.optimizer.getWeights(), await ref.optimizer.getWeights()];
  expect(
    g.map((w) => w.tensor.shape),
    'the optimizer state',
  ).toEqual(r.map((w) => w.tensor.shape));
  // named for their variable (Adam's `<variable>/m` and `/v`), so that roundingOnly's names match
  return g.map((w, i) => [w.name.replace(/\/[mv]$/, ''), values(w.tensor), values(r[i]!.tensor)]);
}

/** `from`'s weights and optimizer state into `to`, as tensors of the current backend. */
async function copyState(from: tf.LayersModel, to: tf.LayersModel) {
  to.setWeights(from.getWeights().map((w) => tf.tensor(values(w), w.shape)));
  const state = await from.optimizer.getWeights();
  await to.optimizer.setWeights(
    state.map((w) => ({ name: w.name, tensor: tf.tensor(values(w.tensor), w.tensor.shape) })),
  );
}

/** The fraction of elements of `got` further than 1e-4 of `ref`'s largest magnitude from `ref`. */
function fractionApart(ref: Float32Array, got: Float32Array): number {
  const bound = 1e-4 * Math.max(maxAbs(ref), 1e-30);
  let apart = 0;
  for (let i = 0; i < ref.length; i++) if (!(Math.abs(ref[i]! - got[i]!) <= bound)) apart++;
  return apart / Math.max(ref.length, 1);
}

const maxAbs = (a: Float32Array) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

/**
 * The weights whose gradient is zero in exact arithmetic: the bias of a linear conv2d or dense
 * layer that feeds a batch norm (which subtracts the batch mean, bias and all), directly or through
 * a flatten or reshape (a bias per channel is a constant per feature too). What they hold after
 * training is rounding noise, different for any two orders of the same sums, so they are left out
 * of the comparison; `roundingNoise` reports their largest magnitude instead (with SGD: with
 * Adam, whose steps are a learning rate whatever the gradient's size, it is not small).
 */
function roundingOnly(model: tf.LayersModel): Set<string> {
  const names = new Set<string>();
  const adam = model.optimizer.getClassName() === 'Adam';
  model.layers.forEach((layer, i) => {
    const next = model.layers.slice(i + 1).find((l) => !['Flatten', 'Reshape'].includes(l.getClassName()));
    const config = layer.getConfig();
    if (next?.getClassName() !== 'BatchNormalization' || config.activation !== 'linear' || !config.useBias) return;
    const bias = layer.weights.find((w) => /bias/.test(w.name));
    if (bias) names.add(bias.name);
    // Adam turns the bias's noise into steps of a whole learning rate, and the batch norm's moving
    // mean takes them in (its batch means include the bias).
    const mean = next.weights.find((w) => /moving_mean/.test(w.name));
    if (adam && mean) names.add(mean.name);
  });
  return names;
}
