import * as tf from '@tensorflow/tfjs';
import type { LoadedConfig } from '../config/load.js';
import { loadDataset } from '../data/dataset.js';
import { compileModel } from './compile.js';
import { type ModelSummary, summarize } from './summary.js';

/** Builds the model on the cpu backend (no training) just to read its shapes and parameter counts. */
export async function modelSummary(loaded: LoadedConfig): Promise<ModelSummary> {
  tf.enableProdMode();
  await tf.setBackend('cpu');
  const data = await loadDataset({ path: loaded.dataPath, trainSize: 1, testSize: 1 }); // only the sample shape is needed
  const shape = [data.rows, data.cols];
  const model = compileModel(loaded.config, shape, loaded.config.seed);
  try {
    return summarize(model);
  } finally {
    model.dispose();
  }
}
