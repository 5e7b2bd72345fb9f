import { resolve } from 'node:path';
import type { Argv } from 'yargs';
import type { CliEnv } from '../env.js';
import { emit, withJson } from './options.js';

export function evaluateCommand(env: CliEnv) {
  return {
    command: 'evaluate <run>',
    describe: "score a run's saved model on an IDX test set; writes RUN/evaluations/<time>_<data>/",
    builder: (y: Argv) =>
      withJson(
        y
          .positional('run', { type: 'string', demandOption: true, describe: 'a run folder with a saved model/' })
          .option('data', {
            type: 'string',
            describe: "a data folder laid out as data.path takes it (default: the run's own test data)",
          }),
      ),
    handler: async (a: { run: string; data?: string; json: boolean }) => {
      const tf = await import('@tensorflow/tfjs');
      tf.enableProdMode();
      // The cpu backend: always there, deterministic, and 10,000 images score in seconds on it.
      await tf.setBackend('cpu');
      const { evaluateRun } = await import('../../predict/evaluate.js');
      const data = a.data === undefined ? undefined : resolve(env.cwd, a.data);
      const e = await evaluateRun(resolve(env.cwd, a.run), data, env.now());
      emit(env.stdout, a.json, e, () => `${e.dir}\naccuracy ${e.accuracy.toFixed(4)} on ${e.count} images`);
    },
  };
}
