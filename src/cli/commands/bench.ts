import { cpus } from 'node:os';
import { resolve } from 'node:path';
import type { Argv } from 'yargs';
import { BACKEND_NAMES } from '../../backend/names.js';
import { UsageError } from '../../errors.js';
import type { CliEnv } from '../env.js';
import {
  applySoftwareGpu,
  applyThreads,
  checkWhole,
  emit,
  withJson,
  withSet,
  withSoftwareGpu,
  withThreads,
} from './options.js';

/** The bench trains on the first --samples MNIST training images; each cell stops after --seconds. */
const MNIST_TRAIN = 60_000;
const MAX_SECONDS = 3600;

const DEFAULT_CONFIGS = ['configs/ann-seed.yaml', 'configs/ann.yaml', 'configs/cnn.yaml'];

/** A benchmark, not a test: throughput per backend and config on a fixed subset, with its conditions. */
export function benchCommand(env: CliEnv) {
  return {
    command: 'bench [configs..]',
    describe: 'measure training and inference samples/s per backend and config (default: the three notebook configs)',
    builder: (y: Argv) =>
      withSet(withSoftwareGpu(withThreads(withJson(y))))
        .positional('configs', { type: 'string', array: true, describe: 'config files to measure' })
        .option('backends', {
          type: 'string',
          array: true,
          choices: BACKEND_NAMES,
          describe: 'backends to measure (default: every one that loads)',
        })
        .option('samples', {
          type: 'number',
          default: 2048,
          describe: 'training (and inference) samples per measurement, at most',
        })
        .option('seconds', {
          type: 'number',
          default: 30,
          describe: 'stop a measurement after this long, even short of --samples',
        }),
    handler: async (a: {
      configs?: string[];
      backends?: string[];
      samples: number;
      seconds: number;
      set: string[];
      json: boolean;
      threads?: number;
      allowSoftwareGpu: boolean;
    }) => {
      checkWhole('samples', a.samples, [1, MNIST_TRAIN], 'a measurement takes at most the MNIST training set');
      if (!(a.seconds > 0 && a.seconds <= MAX_SECONDS))
        throw new UsageError(
          `--seconds: expected a number of seconds above 0 and at most ${MAX_SECONDS}, received ${a.seconds}`,
        );
      applyThreads(a.threads);
      applySoftwareGpu(a.allowSoftwareGpu);
      const { runBench } = await import('../../bench/run.js');
      const { formatBench } = await import('../../bench/bench.js');
      const files = (a.configs?.length ? a.configs : DEFAULT_CONFIGS).map((f) => resolve(env.cwd, f));
      const result = await runBench(
        { files, overrides: a.set, backends: a.backends as never, samples: a.samples, seconds: a.seconds },
        env.stderr,
      );
      const conditions = `samples ≤ ${a.samples} per cell (or ${a.seconds} s), MNIST training images, ${cpus().length} CPU cores: ${cpus()[0]?.model ?? ''}`;
      emit(env.stdout, a.json, { conditions, cells: result }, () => `${conditions}\n\n${formatBench(result)}`);
    },
  };
}
