import type { Argv } from 'yargs';
import type { CliEnv } from '../env.js';
import { applySoftwareGpu, applyThreads, emit, withBackend, withFile, withJson, withThreads } from './options.js';

export function trainCommand(env: CliEnv) {
  return {
    command: '$0 <file>',
    describe: 'train and evaluate the experiment FILE describes; prints the run folder',
    builder: (y: Argv) =>
      withThreads(withJson(withBackend(withFile(y))))
        .option('out', {
          type: 'string',
          default: 'runs',
          describe: 'root folder for run folders',
        })
        .option('run-dir', {
          type: 'string',
          describe: 'write the run into exactly this new or empty folder instead of a timestamped one under --out',
        }),
    handler: async (a: {
      file: string;
      set: string[];
      backend: string;
      out: string;
      runDir?: string;
      json: boolean;
      threads?: number;
      allowSoftwareGpu: boolean;
    }) => {
      applyThreads(a.threads);
      applySoftwareGpu(a.allowSoftwareGpu);
      const { runExperiment } = await import('../../run/experiment.js');
      const result = await runExperiment(
        { file: a.file, overrides: a.set, backend: a.backend as never, outDir: a.out, runDir: a.runDir },
        {
          cwd: env.cwd,
          argv: env.argv,
          stderr: env.stderr,
          now: env.now,
          interrupted: env.interrupted,
          onForcedExit: env.onForcedExit,
        },
      );
      emit(env.stdout, a.json, result, () => result.runDir);
    },
  };
}
