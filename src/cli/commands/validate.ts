import { resolve } from 'node:path';
import type { Argv } from 'yargs';
import { isUserError } from '../../errors.js';
import type { CliEnv } from '../env.js';
import { emit, withFile, withJson, withSet } from './options.js';

/** Schema and cross-field checks, against the data folder's headers and the machine's memory: never loads tfjs, so it answers in a blink. */
export function validateCommand(env: CliEnv) {
  return {
    command: 'validate <file>',
    describe: 'check a config (schema and cross-field checks) without training; exit 1 on errors',
    builder: (y: Argv) => withSet(withJson(withFile(y))),
    handler: async (a: { file: string; set: string[]; json: boolean }) => {
      const { loadConfig } = await import('../../config/load.js');
      const { probeDataset } = await import('../../data/dataset.js');
      const { describeEstimate } = await import('../../config/memory.js');
      const { failureJson } = await import('../../config/located.js');
      const loaded = await loadConfig(resolve(env.cwd, a.file), a.set, { cwd: env.cwd, probeData: probeDataset }).catch(
        (err: unknown) => {
          // The errors as data on stdout for tools; the text, as always, on stderr through the CLI's catch.
          if (a.json && isUserError(err)) emit(env.stdout, true, failureJson(a.file, err), () => '');
          throw err;
        },
      );
      const warnings = loaded.warnings.map((w) => `warning: ${a.file} ${w.path}: ${w.message}`);
      const { estimate, memory } = loaded;
      const json = { ok: true, file: a.file, warnings: loaded.warnings, estimate, memory, config: loaded.config };
      emit(env.stdout, a.json, json, () =>
        [...warnings, `${a.file}: ok`, ...(estimate ? [`  ${describeEstimate(estimate, memory)}`] : [])].join('\n'),
      );
    },
  };
}
