import { resolve } from 'node:path';
import type { Argv } from 'yargs';
import type { CliEnv } from '../env.js';
import { emit, withJson } from './options.js';

export function predictCommand(env: CliEnv) {
  return {
    command: 'predict <run> <images..>',
    describe: "classify your own digit pictures (PNG, JPEG) or an IDX images file with a run's saved model",
    builder: (y: Argv) =>
      withJson(
        y
          .positional('run', { type: 'string', demandOption: true, describe: 'a run folder with a saved model/' })
          .positional('images', {
            type: 'string',
            array: true,
            demandOption: true,
            describe: 'PNG, JPEG or IDX files',
          }),
      ),
    handler: async (a: { run: string; images: string[]; json: boolean }) => {
      const tf = await import('@tensorflow/tfjs');
      tf.enableProdMode();
      await tf.setBackend('cpu'); // a few images: no backend is faster to start than the built-in one
      const { loadRunModel } = await import('../../predict/run-model.js');
      const { readSamples } = await import('../../predict/inputs.js');
      const { predict, formatPrediction } = await import('../../predict/predict.js');
      const m = await loadRunModel(resolve(env.cwd, a.run));
      const samples = [];
      for (const file of a.images) samples.push(...(await readSamples(resolve(env.cwd, file), m.rows, m.cols)));
      const found = await predict(m, samples);
      m.model.dispose();
      emit(env.stdout, a.json, found, () => found.map(formatPrediction).join('\n'));
    },
  };
}
