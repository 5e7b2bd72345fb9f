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
 * `tfjsSteps` through model.trainOnBatch on onednn (the optimizer's state carrying over); against
 * all of them through model.trainOnBatch on `reference`. Both sides draw dropout's masks from a
 * Math.random seeded alike, as a run does. Returns the largest relative error over every weight
 * (batch norm's moving statistics included; see roundingOnly for the exception) and every step's
 * loss and metrics.
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
  const ROWS = rows;
  const { refLogs, refWeights } = await referenceRun(reference, file, overrides, steps + tfjsSteps, rows);

  await tf.setBackend('onednn');
  const got = await compiled(file, overrides);
  const plan = native(got.model, { ...stepOptions(got.config), labelFormat: 'oneHot' });
  if (!plan.ok) throw new Error(`native step not taken: ${plan.reason}`);
  const logs: number[][] = [];
  await withMathRandom(new Mulberry32(7), async () => {
    for (let i = 0; i < steps; i++) {
      const { x, labels } = batch(i, ROWS);
      logs.push(plan.step(x, oneHot(labels, 10), ROWS));
    }
    for (let i = steps; i < steps + tfjsSteps; i++) {
      const { x, labels } = batch(i, ROWS);
      const out = await got.model.trainOnBatch(
        tf.tensor(x, [ROWS, 28, 28]),
        tf.tensor2d(oneHot(labels, 10), [ROWS, 10]),
      );
      logs.push(Array.isArray(out) ? out : [out]);
    }
  });
  const noise = roundingOnly(got.model);
  const weights = got.model.weights.map((w, i) =>
    noise.has(w.name) ? 0 : relativeError(refWeights[i]!, w.read().dataSync() as Float32Array),
  );
  const apart = got.model.weights.map((w, i) =>
    noise.has(w.name) ? 0 : fractionApart(refWeights[i]!, w.read().dataSync() as Float32Array),
  );
  if (process.env.DBG)
    console.log(got.model.weights.map((w, i) => `${w.name} ${weights[i]} apart ${apart[i]}`).join('\n'));
  const roundingNoise = Math.max(
    0,
    ...got.model.weights.filter((w) => noise.has(w.name)).map((w) => maxAbs(w.read().dataSync() as Float32Array)),
  );
  const logErrors = logs.flatMap((l, i) =>
    l.map((v, j) => Math.abs(v - refLogs[i]![j]!) / Math.max(Math.abs(refLogs[i]![j]!), 1e-3)),
  );
  expect(logs.map((l) => l.length)).toEqual(refLogs.map((l) => l.length));
  got.model.dispose();
  return { weights: Math.max(...weights), logs: Math.max(...logErrors), roundingNoise, apart: Math.max(...apart) };
}

/** The fraction of elements of `got` further than 1e-4 of `ref`'s largest magnitude from `ref`. */
function fractionApart(ref: Float32Array, got: Float32Array): number {
  const bound = 1e-4 * Math.max(maxAbs(ref), 1e-30);
  let apart = 0;
  for (let i = 0; i < ref.length; i++) if (!(Math.abs(ref[i]! - got[i]!) <= bound)) apart++;
  return apart / Math.max(ref.length, 1);
}

const references = new Map<string, Promise<{ refLogs: number[][]; refWeights: Float32Array[] }>>();

/** `steps` steps of model.trainOnBatch on `reference`; made once per file (the cpu backend's are slow). */
function referenceRun(reference: string, file: string, overrides: string[], steps: number, rows: number) {
  const key = JSON.stringify([reference, file, overrides, steps, rows]);
  let run = references.get(key);
  if (!run) {
    run = (async () => {
      await tf.setBackend(reference);
      const ref = await compiled(file, overrides);
      const refLogs: number[][] = [];
      await withMathRandom(new Mulberry32(7), async () => {
        for (let i = 0; i < steps; i++) {
          const { x, labels } = batch(i, rows);
          const out = await ref.model.trainOnBatch(
            tf.tensor(x, [rows, 28, 28]),
            tf.tensor2d(oneHot(labels, 10), [rows, 10]),
          );
          refLogs.push(Array.isArray(out) ? out : [out]);
        }
      });
      const refWeights = ref.model.weights.map((w) => w.read().dataSync().slice() as Float32Array);
      ref.model.dispose();
      return { refLogs, refWeights };
    })();
    references.set(key, run);
  }
  return run;
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
