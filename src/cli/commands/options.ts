import { availableParallelism } from 'node:os';
import type { Argv } from 'yargs';
import { ALLOW_SOFTWARE_GPU_ENV, BACKEND_NAMES } from '../../backend/names.js';
import { UsageError } from '../../errors.js';
import type { RunEnv } from '../../run/session.js';
import type { CliEnv } from '../env.js';

export const withFile = <T>(y: Argv<T>) =>
  y.positional('file', { type: 'string', demandOption: true, describe: 'experiment config (YAML)' });

/** Config overrides: only on the commands that read a config (train, validate, summary, sweep, bench, augment-preview). */
export const withSet = <T>(y: Argv<T>) =>
  y.option('set', {
    type: 'string',
    array: true,
    default: [] as string[],
    describe: 'override a config key, e.g. --set train.epochs=2 --set model.layers.1.units=256',
  });

export const withJson = <T>(y: Argv<T>) =>
  y.option('json', { type: 'boolean', default: false, describe: 'print the result as JSON on stdout' });

export const withBackend = <T>(y: Argv<T>) =>
  withSoftwareGpu(
    y.option('backend', {
      choices: ['auto', ...BACKEND_NAMES] as const,
      default: 'auto' as const,
      describe: 'tfjs backend; auto takes the fastest that loads here (see `mnist-run doctor`)',
    }),
  );

/** A software GPU adapter (SwiftShader…) is no GPU: only this flag lets `--backend webgpu` use one. */
export const withSoftwareGpu = <T>(y: Argv<T>) =>
  y.option('allow-software-gpu', {
    type: 'boolean',
    default: false,
    describe: 'let --backend webgpu run on a software GPU adapter such as SwiftShader (slow; for tests)',
  });

/** Passes --allow-software-gpu down, to this process's backend and to a sweep's children, as env. */
export function applySoftwareGpu(allow: boolean | undefined): void {
  if (allow) process.env[ALLOW_SOFTWARE_GPU_ENV] = '1';
}

/** Prints `value` as JSON when asked, else the text form. Results go to stdout, logs to stderr. */
export function emit(out: NodeJS.WritableStream, json: boolean, value: unknown, text: () => string): void {
  out.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${text()}\n`);
}

/** Threads for the native backend; children of a sweep get cores/N through the same variable. */
export const withThreads = <T>(y: Argv<T>) =>
  y.option('threads', {
    type: 'number',
    describe: 'CPU threads the native backend may use (default: all cores; or env MNIST_RUN_THREADS)',
  });

/**
 * A numeric option must be a whole number in [lo, hi]: past the bounds is never what was meant
 * (`--parallel 1e9` aborted V8 building a billion-slot queue), and yargs only checks it is a number.
 */
export function checkWhole(option: string, value: number, [lo, hi]: readonly [number, number], fix: string): void {
  if (Number.isInteger(value) && value >= lo && value <= hi) return;
  throw new UsageError(`--${option}: expected a whole number from ${lo} to ${hi}, received ${value}; ${fix}`);
}

/** More threads than this is no machine's core count; oneDNN would only queue them. */
export const MAX_THREADS = 1024;

export function applyThreads(threads: number | undefined): void {
  if (threads === undefined) return;
  checkWhole('threads', threads, [1, MAX_THREADS], `leave it out to use every core (${availableParallelism()} here)`);
  process.env.MNIST_RUN_THREADS = String(threads);
}

/**
 * A sweep's (or worker's) child: it stops when its parent is gone, and its stderr, the run's log file,
 * is never coloured, whatever FORCE_COLOR says: the sweep reads its last `mnist-run:` line.
 */
export function startAsChild(env: CliEnv): void {
  process.env.NO_COLOR = '1';
  env.stopWithParent();
}

/** What a training run sees of the CLI's world (train and resume alike). */
export function runEnv(env: CliEnv): RunEnv {
  const { cwd, argv, stderr, now, interrupted, stopReason, onForcedExit } = env;
  return { cwd, argv, stderr, now, interrupted, stopReason, onForcedExit };
}
