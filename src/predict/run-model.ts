/** A run folder's saved model, with the sample shape its input takes. Loads tfjs. */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { UsageError } from '../errors.js';
import { MODEL_FILES, RUN_FILES } from '../output-files.js';

export interface RunModel {
  model: tf.LayersModel;
  /** One sample's shape as the model's input takes it: [28, 28], [28, 28, 1] or [784]. */
  sampleShape: number[];
  /** The picture size the shape stands for: [28, 28] for all three above. */
  rows: number;
  cols: number;
}

/** Loads RUN/model/; a UsageError says what is missing and why that happens. */
export async function loadRunModel(runDir: string): Promise<RunModel> {
  const topology = join(runDir, RUN_FILES.modelDir, MODEL_FILES.topology);
  const isDir = await stat(runDir).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!isDir) {
    throw new UsageError(`${runDir}: no such folder; expected a run folder that \`mnist-run FILE\` wrote (runs/…)`);
  }
  const hasModel = await stat(topology).then(
    (s) => s.isFile(),
    () => false,
  );
  if (!hasModel) {
    throw new UsageError(
      `${runDir}: not a run folder with a saved model: expected ${topology}, found none; ` +
        'a run saves its model when training ends: pass a completed run folder, or finish this one with `mnist-run resume`',
    );
  }
  const { loadModelDir } = await import('../model/io.js');
  let model: tf.LayersModel;
  try {
    model = await loadModelDir(join(runDir, RUN_FILES.modelDir));
  } catch (err) {
    throw new UsageError(`${join(runDir, RUN_FILES.modelDir)}: cannot load the model (${(err as Error).message})`);
  }
  const sampleShape = model.inputs[0]!.shape.slice(1) as number[];
  const [rows, cols] = pictureSize(sampleShape);
  return { model, sampleShape, rows, cols };
}

function pictureSize(shape: number[]): [number, number] {
  if (shape.length >= 2) return [shape[0]!, shape[1]!];
  const side = Math.round(Math.sqrt(shape[0]!));
  return [side, side]; // a flat input: a square picture, as MNIST's 784 = 28×28
}
