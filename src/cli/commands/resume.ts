import type { Argv } from 'yargs';
import { BACKEND_NAMES } from '../../backend/names.js';
import type { CliEnv } from '../env.js';
import {
  applySoftwareGpu,
  applyThreads,
  emit,
  runEnv,
  startAsChild,
  withJson,
  withSoftwareGpu,
  withThreads,
} from './options.js';

export function resumeCommand(env: CliEnv) {
  return {
    command: 'resume <run-dir>',
    describe: 'continue an interrupted, crashed or failed run in its own folder, from its last checkpoint',
    builder: (y: Argv) =>
      withThreads(withJson(withSoftwareGpu(y)))
        .positional('run-dir', { type: 'string', demandOption: true, describe: 'the run folder' })
        .option('backend', {
          choices: BACKEND_NAMES,
          describe: "train on another backend than the run's own (its epochs then may not match bit for bit)",
        })
        .option('stop-with-parent', {
          type: 'boolean',
          default: false,
          describe: 'stdin is a pipe from the process that started this run (a sweep passes it): when it closes, stop',
        }),
    handler: async (a: {
      runDir: string;
      backend?: string;
      json: boolean;
      threads?: number;
      allowSoftwareGpu: boolean;
      stopWithParent: boolean;
    }) => {
      applyThreads(a.threads);
      applySoftwareGpu(a.allowSoftwareGpu);
      // Accepted before and ignored: a sweep's resumed run went on after the sweep was killed.
      if (a.stopWithParent) startAsChild(env);
      const { resumeExperiment } = await import('../../run/resume.js');
      const result = await resumeExperiment({ runDir: a.runDir, backend: a.backend as never }, runEnv(env));
      emit(env.stdout, a.json, result, () => result.runDir);
    },
  };
}
