import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import { denseStackStep } from '../../src/backend/onednn/dense-stack.js';
import { loadConfig } from '../../src/config/load.js';
import { oneHot } from '../../src/data/dataset.js';
import { compileModel } from '../../src/model/compile.js';
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

/**
 * `steps` steps through the native dense-stack step on onednn, then `tfjsSteps` through
 * model.trainOnBatch on onednn (the optimizer's state carrying over); against all of them through
 * model.trainOnBatch on `reference`. Returns the largest relative error over every weight and
 * every step's loss and metrics.
 */
export async function compareWithTfjs(
  reference: 'cpu' | 'onednn',
  file: string,
  overrides: string[],
  steps = 3,
  tfjsSteps = 0,
  rows = 32,
): Promise<{ weights: number; logs: number }> {
  const ROWS = rows;
  await tf.setBackend(reference);
  const ref = await compiled(file, overrides);
  const refLogs: number[][] = [];
  for (let i = 0; i < steps + tfjsSteps; i++) {
    const { x, labels } = batch(i, ROWS);
    const out = await ref.model.trainOnBatch(tf.tensor(x, [ROWS, 28, 28]), tf.tensor2d(oneHot(labels, 10), [ROWS, 10]));
    refLogs.push(Array.isArray(out) ? out : [out]);
  }
  const refWeights = ref.model.weights.map((w) => w.read().dataSync().slice() as Float32Array);

  await tf.setBackend('onednn');
  const got = await compiled(file, overrides);
  const native = denseStackStep(got.model, { ...stepOptions(got.config), labelFormat: 'oneHot' });
  if (!native.ok) throw new Error(`native step not taken: ${native.reason}`);
  const logs: number[][] = [];
  for (let i = 0; i < steps; i++) {
    const { x, labels } = batch(i, ROWS);
    logs.push(native.step(x, oneHot(labels, 10), ROWS));
  }
  for (let i = steps; i < steps + tfjsSteps; i++) {
    const { x, labels } = batch(i, ROWS);
    const out = await got.model.trainOnBatch(tf.tensor(x, [ROWS, 28, 28]), tf.tensor2d(oneHot(labels, 10), [ROWS, 10]));
    logs.push(Array.isArray(out) ? out : [out]);
  }
  const weights = got.model.weights.map((w, i) => relativeError(refWeights[i]!, w.read().dataSync() as Float32Array));
  const logErrors = logs.flatMap((l, i) =>
    l.map((v, j) => Math.abs(v - refLogs[i]![j]!) / Math.max(Math.abs(refLogs[i]![j]!), 1e-3)),
  );
  expect(logs.map((l) => l.length)).toEqual(refLogs.map((l) => l.length));
  ref.model.dispose();
  got.model.dispose();
  return { weights: Math.max(...weights), logs: Math.max(...logErrors) };
}
