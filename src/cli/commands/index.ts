import type { CommandModule } from 'yargs';
import type { CliEnv } from '../env.js';
import { augmentPreviewCommand } from './augment-preview.js';
import { benchCommand } from './bench.js';
import { compareCommand } from './compare.js';
import { doctorCommand } from './doctor.js';
import { evaluateCommand } from './evaluate.js';
import { lsCommand } from './ls.js';
import { predictCommand } from './predict.js';
import { reportCommand } from './report.js';
import { resumeCommand } from './resume.js';
import { rmCommand } from './rm.js';
import { schemaCommand } from './schema.js';
import { summaryCommand } from './summary.js';
import { sweepCommand } from './sweep.js';
import { trainCommand } from './train.js';
import { validateCommand } from './validate.js';
import { workerCommand } from './worker.js';

/** Every command; each imports its heavy pipeline (tfjs) inside its handler, so validate/schema stay light. */
export function commands(env: CliEnv): CommandModule<object, never>[] {
  return [
    trainCommand(env),
    resumeCommand(env),
    validateCommand(env),
    summaryCommand(env),
    schemaCommand(env),
    doctorCommand(env),
    benchCommand(env),
    sweepCommand(env),
    compareCommand(env),
    lsCommand(env),
    rmCommand(env),
    reportCommand(env),
    predictCommand(env),
    evaluateCommand(env),
    augmentPreviewCommand(env),
    workerCommand(env),
  ] as never;
}
