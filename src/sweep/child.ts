import { spawn } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
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
  /** Go on from the run folder's checkpoint (`mnist-run resume`) instead of training anew. */
  resume?: boolean;
}

/** The training command for one run, as a user could type it. */
export function childArgs(c: ChildSpec): string[] {
  if (c.resume) {
    // The run's own backend unless the sweep names one: resumed epochs match bit for bit on the same one.
    const backend = c.backend === 'auto' ? [] : ['--backend', c.backend];
    return [c.cliEntry ?? CLI_ENTRY, 'resume', c.runDir, ...backend, '--stop-with-parent', '--json'];
  }
  return [
    c.cliEntry ?? CLI_ENTRY,
    c.baseConfig,
    ...c.overrides.flatMap((o) => ['--set', o]),
    '--backend',
    c.backend,
    '--run-dir',
    c.runDir,
    '--stop-with-parent',
    '--json',
  ];
}

/** The last `mnist-run: …` line of a child's log (its stderr): why a run that wrote no meta.json failed. */
export async function lastError(logFile: string): Promise<string | undefined> {
  const lines = (await readFile(logFile, 'utf8').catch(() => '')).trimEnd().split('\n').filter(Boolean);
  return (lines.filter((l) => l.startsWith('mnist-run: ')).at(-1) ?? lines.at(-1))?.replace(/^mnist-run: /, '');
}

/** A started run: the queue's view, plus what a forced exit needs to reach the process at once. */
export interface StartedChild extends Started {
  pid: number;
  /** Asks it to stop, once; true when this call was the one that asked. */
  interrupt: (signal?: NodeJS.Signals) => boolean;
  /** Sends a signal now, whatever was sent before. */
  signal: (signal: NodeJS.Signals) => void;
}

/**
 * Starts one run as `node dist/cli/main.js …` with its stderr in `logFile`. The child gets its own
 * process group (detached), so a terminal's Ctrl-C reaches only the sweep, which forwards exactly one
 * signal: a second one would make the child quit before it marks its run `interrupted`.
 *
 * Its stdin is a pipe from this process that nothing is written to: when this process dies, even by
 * kill -9, the kernel closes it and the child (told by --stop-with-parent) stops as if interrupted.
 * Its stderr is the log file itself, not a pipe through this process, so a child that outlives a
 * killed sweep can still say why it stopped, and never dies writing to a closed pipe.
 */
export async function startChild(c: ChildSpec): Promise<StartedChild> {
  const log = openSync(c.logFile, 'a'); // appended: an earlier attempt's log stays readable
  let child: ReturnType<typeof spawn>;
  try {
    writeSync(log, `--- ${new Date().toISOString()} ${childArgs(c).slice(1).join(' ')}\n`);
    child = spawn(process.execPath, childArgs(c), {
      detached: true,
      stdio: ['pipe', 'ignore', log],
      env: { ...process.env, MNIST_RUN_THREADS: String(c.threads) },
    });
  } finally {
    closeSync(log); // the child has its own copy
  }
  const done = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  });
  child.stdin?.on('error', () => undefined); // EPIPE once the child is gone: nothing to tell it any more
  done.catch(() => undefined); // a failed spawn is thrown below; the queue sees `done` reject too
  await new Promise<void>((resolve, reject) => child.once('spawn', resolve).once('error', reject));
  let asked = false;
  const signal = (s: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(s);
  };
  const interrupt = (s: NodeJS.Signals = 'SIGINT') => {
    if (asked) return false;
    asked = true;
    signal(s);
    return true;
  };
  return { done, interrupt, signal, pid: child.pid! };
}
