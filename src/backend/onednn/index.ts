/**
 * Entry point of the oneDNN backend: `loadOnednnBackend()` loads the addon, sets its thread count
 * and registers the 'onednn' tfjs backend. It never throws for a missing build or library.
 */
import { availableParallelism } from 'node:os';
import { loadAddon } from './addon.js';
import { registerOnednnBackend } from './register.js';

export { BUILD_COMMAND } from './addon.js';
export { BACKEND_NAME } from './backend.js';

export type OnednnLoad =
  | { ok: true; threads: number; version: string; matmul: string }
  | { ok: false; reason: string; fix: string };

/** Environment variable that overrides the thread count (default: every available core). */
export const THREADS_ENV = 'MNIST_RUN_THREADS';

/** More threads than this is a typo, not a machine: the same bound as --threads. */
export const MAX_THREADS = 1024;

export function threadsFrom(
  env: NodeJS.ProcessEnv,
  cores = availableParallelism(),
): number | { reason: string; fix: string } {
  const raw = env[THREADS_ENV];
  if (raw === undefined || raw === '') return cores;
  const n = Number(raw);
  if (Number.isInteger(n) && n >= 1 && n <= MAX_THREADS) return n;
  return {
    reason: `${THREADS_ENV}=${raw} is not a whole number from 1 to ${MAX_THREADS}`,
    fix: `set ${THREADS_ENV} to a thread count such as ${cores}, or unset it`,
  };
}

export async function loadOnednnBackend(
  options: { threads?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<OnednnLoad> {
  const load = loadAddon();
  if (!load.ok) return load;
  const threads = options.threads ?? threadsFrom(options.env ?? process.env);
  if (typeof threads !== 'number') return { ok: false, ...threads };
  try {
    load.addon.setThreads(threads);
    registerOnednnBackend(load.addon);
    const info = load.addon.info();
    return { ok: true, threads: info.threads, version: info.version, matmul: info.matmul };
  } catch (err) {
    return {
      ok: false,
      reason: `the oneDNN addon failed to start: ${(err as Error).message}`,
      fix: 'rebuild it: `npx node-gyp rebuild -C native`',
    };
  }
}
