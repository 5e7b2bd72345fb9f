import { resolve } from 'node:path';
import type { Argv } from 'yargs';
import type { BackendChoice } from '../../backend/names.js';
import type { CliEnv } from '../env.js';
import { applySoftwareGpu, emit, withBackend, withJson } from './options.js';

export function evaluateCommand(env: CliEnv) {
  return {
    command: 'evaluate <run>',
    describe: "score a run's saved model on an IDX test set; writes RUN/evaluations/<time>_<data>/",
    builder: (y: Argv) =>
      withBackend(
        withJson(
          y
            .positional('run', { type: 'string', demandOption: true, describe: 'a run folder with a saved model/' })
            .option('data', {
              type: 'string',
              describe: "a folder holding the test images and labels (t10k-…; default: the run's own test data)",
            }),
        ),
      ),
    handler: async (a: { run: string; data?: string; json: boolean; backend: string; allowSoftwareGpu: boolean }) => {
      applySoftwareGpu(a.allowSoftwareGpu);
      // The fastest backend, as training scores its test set: on the pure-JS cpu one the notebook
      // CNN took 340 s for the 10,000 MNIST test images, against about 3 s on onednn.
      const { selectBackend } = await import('../../backend/select.js');
      const backend = await selectBackend(a.backend as BackendChoice);
      const { evaluateRun } = await import('../../predict/evaluate.js');
      const data = a.data === undefined ? undefined : resolve(env.cwd, a.data);
      const e = await evaluateRun(resolve(env.cwd, a.run), data, env.now(), backend.name);
      emit(env.stdout, a.json, e, () => `${e.dir}\naccuracy ${e.accuracy.toFixed(4)} on ${e.count} images`);
    },
  };
}
