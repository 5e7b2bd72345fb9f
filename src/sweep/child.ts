import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Started } from './queue.js';

/** dist/cli/main.js beside this module's dist/sweep/: children run the very build the parent runs. */
export const CLI_ENTRY = join(dirname(fileURLToPath(import.meta.url)), '..', 'cli', 'main.js');

/** Threads each of `parallel` children may use so that together they fill, not oversubscribe, the cores. */
export function threadsPerRun(parallel: number, cores = cpus().length): number {
  return Math.max(1, Math.floor(cores / Math.max(1, parallel)));
}

export interface ChildSpec {
  baseConfig: string;
  overrides: string[];
  runDir: string;
  backend: string;
  threads: number;
  logFile: string;
  cliEntry?: string;
}

/** The training command for one run, as a user could type it. */
export function childArgs(c: ChildSpec): string[] {
  return [
    c.cliEntry ?? CLI_ENTRY,
    c.baseConfig,
    ...c.overrides.flatMap((o) => ['--set', o]),
    '--backend',
    c.backend,
    '--run-dir',
    c.runDir,
    '--json',
  ];
}

/**
 * Starts one run as `node dist/cli/main.js …` with its stderr in `logFile`. The child gets its own
 * process group (detached), so a terminal's Ctrl-C reaches only the sweep, which forwards exactly one
 * SIGINT: a second one would make the child quit before it marks its run `interrupted`.
 */
export async function startChild(c: ChildSpec): Promise<Started> {
  const log = createWriteStream(c.logFile, { flags: 'a' }); // appended: an earlier attempt's log stays readable
  await new Promise((resolve, reject) => log.once('open', resolve).once('error', reject));
  log.write(`--- ${new Date().toISOString()} ${childArgs(c).slice(1).join(' ')}\n`);
  const child = spawn(process.execPath, childArgs(c), {
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, MNIST_RUN_THREADS: String(c.threads) },
  });
  child.stderr?.pipe(log);
  const done = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => log.end(() => resolve(code)));
  });
  let asked = false;
  const interrupt = () => {
    if (asked || child.exitCode !== null) return;
    asked = true;
    child.kill('SIGINT');
  };
  return { done, interrupt };
}
