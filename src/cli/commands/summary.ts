import { resolve } from 'node:path';
import type { Argv } from 'yargs';
import type { CliEnv } from '../env.js';
import { emit, withFile, withJson } from './options.js';

export function summaryCommand(env: CliEnv) {
  return {
    command: 'summary <file>',
    describe: "print the model's layers, output shapes and parameter counts, as Keras's model.summary()",
    builder: (y: Argv) => withJson(withFile(y)),
    handler: async (a: { file: string; set: string[]; json: boolean }) => {
      const { loadConfig } = await import('../../config/load.js');
      const { modelSummary } = await import('../../model/describe.js');
      const { formatSummary } = await import('../../model/summary.js');
      const loaded = await loadConfig(resolve(env.cwd, a.file), a.set);
      const summary = await modelSummary(loaded);
      emit(env.stdout, a.json, summary, () => formatSummary(summary));
    },
  };
}
