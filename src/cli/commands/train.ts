import type { Argv } from 'yargs';
import { UsageError } from '../../errors.js';
import type { CliEnv } from '../env.js';
import {
  applySoftwareGpu,
  applyThreads,
  emit,
  runEnv,
  startAsChild,
  withBackend,
  withFile,
  withJson,
  withSet,
  withThreads,
} from './options.js';

export function trainCommand(env: CliEnv) {
  return {
    command: '$0 <file>',
    describe: 'train and evaluate the experiment FILE describes; prints the run folder',
    builder: (y: Argv) =>
      withSet(withThreads(withJson(withBackend(withFile(y)))))
        .option('out', {
          type: 'string',
          describe: 'root folder for run folders (default: runs)',
        })
        .option('run-dir', {
          type: 'string',
          describe: 'write the run into exactly this new or empty folder instead of a timestamped one under --out',
        })
        .option('stop-with-parent', {
          type: 'boolean',
          default: false,
          describe:
            'stdin is a pipe from the process that started this run (a sweep passes it): when it closes, stop as if interrupted',
        }),
    handler: async (a: {
      file: string;
      set: string[];
      backend: string;
      out?: string;
      runDir?: string;
      stopWithParent: boolean;
      json: boolean;
      threads?: number;
      allowSoftwareGpu: boolean;
    }) => {
      applyThreads(a.threads);
      applySoftwareGpu(a.allowSoftwareGpu);
      if (a.stopWithParent && !a.runDir)
        throw new UsageError('--stop-with-parent needs --run-dir (it is how a sweep starts its runs)');
      if (a.runDir !== undefined && a.out !== undefined)
        throw new UsageError(
          `--out ${a.out} and --run-dir ${a.runDir}: the run goes into exactly --run-dir, so --out would be ignored; give one of them`,
        );
      if (a.stopWithParent) startAsChild(env);
      const { runExperiment } = await import('../../run/experiment.js');
      const result = await runExperiment(
        { file: a.file, overrides: a.set, backend: a.backend as never, outDir: a.out ?? 'runs', runDir: a.runDir },
        runEnv(env),
      );
      emit(env.stdout, a.json, result, () => result.runDir);
    },
  };
}
