import type { Argv } from 'yargs';
import { ALLOW_SOFTWARE_GPU_ENV, BACKEND_NAMES } from '../../backend/names.js';
import { UsageError } from '../../errors.js';

export const withFile = <T>(y: Argv<T>) =>
  y.positional('file', { type: 'string', demandOption: true, describe: 'experiment config (YAML)' });

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

export function applyThreads(threads: number | undefined): void {
  if (threads === undefined) return;
  if (!Number.isInteger(threads) || threads < 1)
    throw new UsageError(`--threads ${threads}: expected a whole number of at least 1`);
  process.env.MNIST_RUN_THREADS = String(threads);
}
