import { resolve } from 'node:path';
import type { Argv } from 'yargs';
import type { LoadedConfig } from '../../config/load.js';
import type { ModelSummary } from '../../model/summary.js';
import type { CliEnv } from '../env.js';
import { emit, withFile, withJson, withSet } from './options.js';

export function summaryCommand(env: CliEnv) {
  return {
    command: 'summary <file>',
    describe: "print the model's layers, output shapes and parameter counts, as Keras's model.summary()",
    builder: (y: Argv) => withSet(withJson(withFile(y))),
    handler: async (a: { file: string; set: string[]; json: boolean }) => {
      const { loadConfig } = await import('../../config/load.js');
      const { formatSummary } = await import('../../model/summary.js');
      const { probeDataset } = await import('../../data/dataset.js');
      const { describeEstimate } = await import('../../config/memory.js');
      const loaded = await loadConfig(resolve(env.cwd, a.file), a.set, { cwd: env.cwd, probeData: probeDataset });
      const summary = await modelSummary(loaded);
      const { estimate, memory } = loaded;
      emit(env.stdout, a.json, { ...summary, estimate, memory }, () =>
        [formatSummary(summary), ...(estimate ? [`Training: ${describeEstimate(estimate, memory)}`] : [])].join('\n'),
      );
    },
  };
}

/** Builds the model on the cpu backend (no training) just to read its shapes and parameter counts. */
async function modelSummary(loaded: LoadedConfig): Promise<ModelSummary> {
  const tf = await import('@tensorflow/tfjs');
  const { loadDataset } = await import('../../data/dataset.js');
  const { compileModel } = await import('../../model/compile.js');
  const { summarize } = await import('../../model/summary.js');
  tf.enableProdMode();
  await tf.setBackend('cpu');
  // Only the sample shape is needed: one image of each split.
  const data = await loadDataset({ path: loaded.dataPath, trainSize: 1, testSize: 1 });
  const model = compileModel(loaded.config, [data.rows, data.cols], loaded.config.seed);
  try {
    return summarize(model);
  } finally {
    model.dispose();
  }
}
