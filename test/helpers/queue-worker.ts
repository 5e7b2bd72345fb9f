/**
 * `mnist-run worker` as a real child process in a folder of its own (a machine of its own: it
 * shares no files with the coordinator or other workers), with its --json status records to wait on.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CLI } from './cli.js';

const CONFIGS = join(import.meta.dirname, '..', '..', 'configs');

/**
 * The coordinator's machine: `ROOT/NAME/coordinator/` with its own copy of configs/ann-seed.yaml and
 * `NAME.sweep.yaml` (named NAME, based on it, then `body`). Returns the folder.
 */
export async function coordinatorFolder(root: string, name: string, body: string): Promise<string> {
  const dir = join(root, name, 'coordinator');
  await mkdir(dir, { recursive: true });
  await copyFile(join(CONFIGS, 'ann-seed.yaml'), join(dir, 'ann-seed.yaml'));
  await writeFile(join(dir, `${name}.sweep.yaml`), `name: ${name}\nbase: ann-seed.yaml\n${body}`);
  return dir;
}

export interface WorkerEvent {
  event: string;
  job?: string;
  pid?: number;
  retry?: boolean;
  status?: string;
  error?: string;
  [k: string]: unknown;
}

export interface TestWorker {
  name: string;
  cwd: string;
  pid: number;
  events: WorkerEvent[];
  stderr: () => string;
  /** The first event (after `from`) that `pred` takes, waiting for it up to `ms`. */
  waitFor: (pred: (e: WorkerEvent) => boolean, ms?: number) => Promise<WorkerEvent>;
  exited: Promise<number | null>;
  signal: (s: NodeJS.Signals) => void;
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

export async function startTestWorker(
  url: string,
  cwd: string,
  name: string,
  args: string[] = [],
  env: NodeJS.ProcessEnv = {},
): Promise<TestWorker> {
  await mkdir(cwd, { recursive: true });
  const child = spawn(process.execPath, [CLI, 'worker', '--queue', url, '--json', '--name', name, ...args], {
    cwd,
    env: { ...process.env, ...env },
  });
  live.add(child);
  const events: WorkerEvent[] = [];
  let err = '';
  let buf = '';
  const waiters = new Set<() => void>();
  child.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    const lines = buf.split('\n');
    buf = lines.pop()!;
    for (const l of lines.filter(Boolean)) events.push(JSON.parse(l) as WorkerEvent);
    for (const w of waiters) w();
  });
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once('close', (code) => {
      live.delete(child);
      for (const w of waiters) w();
      resolve(code);
    }),
  );
  const waitFor = (pred: (e: WorkerEvent) => boolean, ms = 120_000) =>
    new Promise<WorkerEvent>((resolve, reject) => {
      const check = () => {
        const hit = events.find(pred);
        if (hit) {
          waiters.delete(check);
          clearTimeout(timer);
          resolve(hit);
        } else if (child.exitCode !== null || child.signalCode !== null) {
          waiters.delete(check);
          clearTimeout(timer);
          reject(new Error(`worker ${name} ended before the event came:\n${err.slice(-2000)}`));
        }
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(
          new Error(
            `worker ${name}: no such event in ${ms} ms; events: ${JSON.stringify(events)}\n${err.slice(-2000)}`,
          ),
        );
      }, ms);
      waiters.add(check);
      check();
    });
  const w: TestWorker = {
    name,
    cwd,
    pid: child.pid!,
    events,
    stderr: () => err,
    waitFor,
    exited,
    signal: (s) => child.kill(s),
  };
  await waitFor((e) => e.event === 'ready', 60_000);
  return w;
}
