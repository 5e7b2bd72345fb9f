/**
 * Benchmark script, not a module to import: `npx vite-node bench/queue-bench.ts [--quick] [--out FILE] [--keep]`.
 * Measures sweeps through the Redis queue (`mnist-run sweep --queue` + `mnist-run worker`) with real
 * processes of the built CLI (dist/cli/main.js: `npx tsc -p tsconfig.build.json` first), a real
 * redis-server per sweep, and a temp folder of its own for the coordinator and for each worker, as
 * on machines that share nothing but Redis:
 *
 * 1. the same real sweep with 1 worker and with 2 (each `--threads 1`), interleaved 1w, 2w, 1w, 2w…:
 *    wall time of the sweep command and the speedup;
 * 2. the queue's own cost per run in those sweeps, from BullMQ's event stream in Redis (its entry
 *    ids are the server's clock), the workers' `--json` events and the sweep's `timings`: dispatch,
 *    hand-off, the worker's preparation, result transfer, and the coordinator's collection;
 * 3. N = 100, 300, 1000 tiny jobs on 2 `--no-train` workers: planning, wall, and the CPU of Redis,
 *    the coordinator and the workers per job, and Redis memory: what one job costs as N grows.
 *
 * It prints tables and writes every figure with its conditions and the exact command lines to
 * `--out` (default bench/results/queue-scale.json). `--quick`: one round of 4 small runs, N = 50
 * and 150; `--backend NAME` skips the look for onednn (else cpu); `--keep` keeps the temp folders.
 * The machine may be shared: each sweep records the load average at its start and end and the
 * cores other people's processes took meanwhile (/proc/stat less our own processes' CPU), and a
 * sweep whose redis-server something else ended is run again (up to 3 times), and says so.
 */

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import type { Collected } from '../src/remote/collect.js';
import { childExited } from '../src/util/process.js';
import { type RedisHandle, startRedis } from '../test/helpers/redis-server.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');
const TIME = '/usr/bin/time';
const EVENTS_KEY = 'mnist-run:runs:events'; // BullMQ's event stream: prefix mnist-run, queue runs (src/remote/job.ts)

// ---------------------------------------------------------------------------------------------
// Options

const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(name);
const value = (name: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const QUICK = flag('--quick');
const KEEP = flag('--keep');
const OUT = resolve(value('--out') ?? join(ROOT, 'bench', 'results', 'queue-scale.json'));

/** Measurement 1 and 2: a real sweep. Sizes picked so one run trains for several seconds on one thread. */
const REAL = QUICK
  ? { runs: 4, rounds: 1, trainSize: 6000, testSize: 1000, epochs: 1 }
  : { runs: 8, rounds: 3, trainSize: 30000, testSize: 1000, epochs: 3 };
/** Measurement 3: tiny jobs, checked but not trained. */
const TINY = QUICK
  ? { sizes: [50, 150], workers: 2, concurrency: 1, trainSize: 100, epochs: 1, idleMs: 2000 }
  : { sizes: [100, 300, 1000], workers: 2, concurrency: 1, trainSize: 100, epochs: 1, idleMs: 3000 };
const SWEEP_TIMEOUT_MS = 20 * 60_000;
const CPU_NOTE =
  'cpu: over the sweep, the machine’s busy CPU (/proc/stat), ours (coordinator by /usr/bin/time, workers with their training processes by /proc/<pid>/stat, redis-server by INFO cpu, this script) and the rest, others’ processes; othersCores = others / wall, the cores other people’s work took on average';

// ---------------------------------------------------------------------------------------------
// Small helpers

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;
const load = () => os.loadavg().map((x) => round(x, 2)) as [number, number, number];

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  if (!s.length) return Number.NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!; // nearest rank
}
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  if (!s.length) return Number.NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

interface Stats {
  n: number;
  median: number;
  p90: number;
  min: number;
  max: number;
}
function stats(xs: number[]): Stats {
  return {
    n: xs.length,
    median: round(median(xs)),
    p90: round(quantile(xs, 0.9)),
    min: round(Math.min(...xs)),
    max: round(Math.max(...xs)),
  };
}

/** Least squares y = a + b·x: the fixed cost and the cost per job. */
function linearFit(xs: number[], ys: number[]): { fixed: number; perJob: number } {
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let sxy = 0;
  let sxx = 0;
  for (const [i, x] of xs.entries()) {
    sxy += (x - mx) * (ys[i]! - my);
    sxx += (x - mx) ** 2;
  }
  const b = sxx ? sxy / sxx : 0;
  return { fixed: round(my - b * mx, 2), perJob: round(b, 3) };
}

const quote = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", "'\\''")}'`);
/** A command line as one could type it, with the CLI and the temp folders named so that it reads. */
function commandLine(cwd: string, cmd: string, args: string[], tmp: string): string {
  const show = (s: string) => (s === process.execPath ? 'node' : s.replace(tmp, '$TMP').replace(ROOT, '$REPO'));
  return `(cd ${show(cwd)} && ${[cmd, ...args].map((a) => quote(show(a))).join(' ')})`;
}

// ---------------------------------------------------------------------------------------------
// Processes: every child is killed on the way out, whatever happens.

const live = new Set<ChildProcess>();
/** Each child leads a process group of its own: the group goes, /usr/bin/time's child with it. */
function killGroup(c: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-c.pid!, signal);
  } catch {
    c.kill(signal);
  }
}
process.once('exit', () => {
  for (const c of live) killGroup(c, 'SIGKILL');
});
for (const sig of ['SIGINT', 'SIGTERM'] as const)
  process.once(sig, () => {
    process.stderr.write(`queue-bench: ${sig}, killing ${live.size} child processes\n`);
    process.exit(130); // the exit handlers kill the children and the redis-servers
  });

interface Line {
  at: number; // Date.now() when read
  text: string;
}

interface Proc {
  child: ChildProcess;
  pid: number;
  stdout: Line[];
  stderr: Line[];
  onLine: Set<(l: Line, stream: 'stdout' | 'stderr') => void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function start(cmd: string, args: string[], cwd: string): Proc {
  const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: process.env, detached: true });
  live.add(child);
  const p: Proc = {
    child,
    pid: child.pid!,
    stdout: [],
    stderr: [],
    onLine: new Set(),
    exited: new Promise((r) =>
      child.once('exit', (code, signal) => {
        live.delete(child);
        r({ code, signal });
      }),
    ),
  };
  for (const stream of ['stdout', 'stderr'] as const) {
    createInterface({ input: child[stream]! }).on('line', (text) => {
      const l = { at: Date.now(), text };
      p[stream].push(l);
      for (const f of p.onLine) f(l, stream);
    });
  }
  return p;
}

/** SIGTERM, then SIGKILL if it is still there after `graceMs`. */
async function stop(p: Proc, graceMs = 15_000): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  killGroup(p.child, 'SIGTERM');
  const timer = setTimeout(() => killGroup(p.child, 'SIGKILL'), graceMs);
  await p.exited;
  clearTimeout(timer);
}

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/**
 * A live process's user + system CPU in ms, from /proc/<pid>/stat: its own, plus with `children`
 * that of the children it has waited for (a worker's finished training processes).
 */
async function cpuMs(pid: number, children = false): Promise<number> {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8');
  const f = text
    .slice(text.lastIndexOf(')') + 2)
    .split(' ')
    .map(Number); // f[0] is field 3 (state); fields 14-17 are utime, stime, cutime, cstime
  return ((f[11]! + f[12]! + (children ? f[13]! + f[14]! : 0)) * 1000) / CLK_TCK;
}

/** CPU time the whole machine spent busy (all cores, every process), ms, from /proc/stat. */
async function machineBusyMs(): Promise<number> {
  const f = (await readFile('/proc/stat', 'utf8')).split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal: all but idle and iowait
  return ((f[0]! + f[1]! + f[2]! + f[5]! + f[6]! + (f[7] ?? 0)) * 1000) / CLK_TCK;
}

interface CpuSnapshot {
  machine: number;
  bench: number;
  redis: number;
  workers: number[];
}

async function cpuSnapshot(client: Redis, workers: RunningWorker[]): Promise<CpuSnapshot> {
  const u = process.cpuUsage();
  return {
    machine: await machineBusyMs(),
    bench: (u.user + u.system) / 1000,
    redis: (await redisFacts(client)).cpuMs,
    workers: await Promise.all(workers.map((w) => cpuMs(w.proc.pid, true))),
  };
}

/**
 * Over one sweep: the machine's busy CPU, what this benchmark's own processes used of it (the
 * coordinator, the workers and their training processes, redis-server, this script), and the rest:
 * other people's processes. `othersCores` is that rest in cores, on average over the sweep.
 */
function cpuAccount(a: CpuSnapshot, b: CpuSnapshot, coordinatorMs: number | undefined, wallMs: number) {
  const workers = b.workers.reduce((sum, x, i) => sum + x - a.workers[i]!, 0);
  const ours = (coordinatorMs ?? 0) + workers + (b.redis - a.redis) + (b.bench - a.bench);
  const machine = b.machine - a.machine;
  return {
    machineBusyMs: round(machine),
    oursMs: round(ours),
    workersWithTrainingMs: round(workers),
    othersMs: round(machine - ours),
    othersCores: round((machine - ours) / wallMs, 2),
  };
}

// ---------------------------------------------------------------------------------------------
// Redis

interface RedisFacts {
  cpuMs: number;
  cpuMainThreadMs: number;
  usedMemory: number;
  usedMemoryPeak: number;
  keys: number;
}

function infoFields(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0) m.set(line.slice(0, i), line.slice(i + 1));
  }
  return m;
}

async function redisFacts(r: Redis): Promise<RedisFacts> {
  const cpu = infoFields(await r.info('cpu'));
  const mem = infoFields(await r.info('memory'));
  const n = (m: Map<string, string>, k: string) => Number(m.get(k) ?? Number.NaN);
  return {
    cpuMs: (n(cpu, 'used_cpu_sys') + n(cpu, 'used_cpu_user')) * 1000,
    cpuMainThreadMs: (n(cpu, 'used_cpu_sys_main_thread') + n(cpu, 'used_cpu_user_main_thread')) * 1000,
    usedMemory: n(mem, 'used_memory'),
    usedMemoryPeak: n(mem, 'used_memory_peak'),
    keys: await r.dbsize(),
  };
}

interface QueueEvent {
  ms: number; // the server's clock when it was added
  event: string;
  jobId?: string;
}

/** BullMQ's event stream (capped at about 10,000 entries: enough for 1,000 jobs of ~5 events). */
async function queueEvents(r: Redis): Promise<QueueEvent[]> {
  const out: QueueEvent[] = [];
  for (const [id, fields] of await r.xrange(EVENTS_KEY, '-', '+')) {
    const f = new Map<string, string>();
    for (let i = 0; i + 1 < fields.length; i += 2) f.set(fields[i]!, fields[i + 1]!);
    out.push({ ms: Number(id.split('-')[0]), event: f.get('event') ?? '?', jobId: f.get('jobId') });
  }
  return out;
}

/** First time each job reached each event. */
function byJob(events: QueueEvent[]): Map<string, Record<string, number>> {
  const m = new Map<string, Record<string, number>>();
  for (const e of events) {
    if (!e.jobId) continue;
    const rec = m.get(e.jobId) ?? {};
    rec[e.event] ??= e.ms;
    m.set(e.jobId, rec);
  }
  return m;
}

// ---------------------------------------------------------------------------------------------
// Workers and the coordinator, each in a folder of its own

interface WorkerEvent {
  time: number; // the worker's own clock (its `time` field)
  event: string;
  job?: string;
  [k: string]: unknown;
}

interface RunningWorker {
  name: string;
  proc: Proc;
  events: WorkerEvent[];
  command: string;
}

async function startWorker(
  url: string,
  name: string,
  dir: string,
  tmp: string,
  o: { backend: string; concurrency: number; noTrain: boolean },
): Promise<RunningWorker> {
  await mkdir(dir, { recursive: true });
  const args = [CLI, 'worker', '--queue', url, '--json', '--name', name, '--concurrency', String(o.concurrency)];
  args.push('--threads', '1', '--work-dir', 'work', '--backend', o.backend);
  if (o.noTrain) args.push('--no-train');
  const proc = start(process.execPath, args, dir);
  const w: RunningWorker = { name, proc, events: [], command: commandLine(dir, process.execPath, args, tmp) };
  let ready!: () => void;
  const isReady = new Promise<void>((r) => (ready = r));
  proc.onLine.add((l, stream) => {
    if (stream !== 'stdout') return;
    try {
      const e = JSON.parse(l.text) as WorkerEvent & { time: string };
      w.events.push({ ...e, time: Date.parse(e.time) });
      if (e.event === 'ready') ready();
    } catch {
      // not an event line
    }
  });
  const gone = proc.exited.then(({ code, signal }) => {
    const tail = proc.stderr.slice(-10).map((l) => l.text);
    throw new Error(`worker ${name} exited (${code ?? signal}) before it was ready:\n${tail.join('\n')}`);
  });
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`worker ${name} not ready within 60 s`)), 60_000);
  });
  gone.catch(() => undefined);
  late.catch(() => undefined);
  try {
    await Promise.race([isReady, gone, late]);
  } finally {
    clearTimeout(timer);
  }
  return w;
}

/** What the sweep's --json says of each run's time (src/remote/collect.ts). */
type Timing = Collected['timing'];

interface SweepOutcome {
  command: string;
  startedAt: number;
  exitedAt: number;
  wallMs: number;
  /** Spawn until the line "N runs on the queue" (startup, planning, enqueue). */
  queuedAfterMs?: number;
  exit: number | null;
  /** /usr/bin/time's user + system CPU of the coordinator process. */
  cpuMs?: number;
  result?: { rows: { id: string; status: string; error?: string }[]; enqueued: number; timings: Timing[] };
  stderrTail: string[];
}

/** `abort` resolves with the error to throw when the sweep cannot go on (its Redis is gone): the sweep is killed. */
async function runSweep(
  url: string,
  dir: string,
  tmp: string,
  sweepYaml: string,
  abort: Promise<Error>,
): Promise<SweepOutcome> {
  await mkdir(dir, { recursive: true });
  await copyFile(join(ROOT, 'configs', 'ann-seed.yaml'), join(dir, 'ann-seed.yaml'));
  await writeFile(join(dir, 'sweep.yaml'), sweepYaml);
  const timeFile = join(dir, 'time.txt');
  const sweepArgs = [
    CLI,
    'sweep',
    'sweep.yaml',
    '--queue',
    url,
    '--json',
    '--code-version',
    'bench',
    '--out',
    'sweeps',
  ];
  const useTime = existsSync(TIME);
  const [cmd, args] = useTime
    ? [TIME, ['-f', '%e %U %S', '-o', timeFile, process.execPath, ...sweepArgs]]
    : [process.execPath, sweepArgs];
  const startedAt = Date.now();
  const proc = start(cmd, args, dir);
  let queuedAt: number | undefined;
  proc.onLine.add((l, stream) => {
    if (stream === 'stderr' && queuedAt === undefined && / runs on the queue at /.test(l.text)) queuedAt = l.at;
  });
  const timer = setTimeout(() => killGroup(proc.child, 'SIGKILL'), SWEEP_TIMEOUT_MS);
  const ended = await Promise.race([proc.exited, abort.then(() => undefined)]);
  clearTimeout(timer);
  if (!ended) {
    killGroup(proc.child, 'SIGKILL');
    await proc.exited;
    throw await abort;
  }
  const { code } = ended;
  const exitedAt = Date.now();
  await writeFile(join(dir, 'sweep.stderr'), proc.stderr.map((l) => l.text).join('\n'));
  let cpu: number | undefined;
  if (useTime) {
    const last = (await readFile(timeFile, 'utf8').catch(() => '')).trim().split('\n').at(-1) ?? '';
    const [, user, sys] = last.split(' ').map(Number);
    if (user !== undefined && sys !== undefined && Number.isFinite(user + sys)) cpu = round((user + sys) * 1000);
  }
  let result: SweepOutcome['result'];
  try {
    result = JSON.parse(proc.stdout.map((l) => l.text).join('\n'));
  } catch {
    result = undefined;
  }
  return {
    command: commandLine(dir, cmd, args, tmp),
    startedAt,
    exitedAt,
    wallMs: exitedAt - startedAt,
    queuedAfterMs: queuedAt === undefined ? undefined : queuedAt - startedAt,
    exit: code,
    cpuMs: cpu,
    result,
    stderrTail: proc.stderr.slice(-5).map((l) => l.text),
  };
}

function sweepFile(name: string, seeds: number[], set: Record<string, number>): string {
  const sets = Object.entries(set)
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ');
  return `name: ${name}\nbase: ann-seed.yaml\nset: {${sets}}\ngrid:\n  seed: [${seeds.join(', ')}]\n`;
}

/** Redis, workers, a sweep; everything stopped afterwards, even on failure. */
async function withQueue<T>(
  tmp: string,
  dir: string,
  workers: { count: number; backend: string; concurrency: number; noTrain: boolean },
  body: (q: { redis: RedisHandle; client: Redis; workers: RunningWorker[]; gone: Promise<Error> }) => Promise<T>,
): Promise<T> {
  const redis = await startRedis();
  const client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  client.on('error', () => undefined); // a Redis that went away is noticed below, not in a flood of these
  const running: RunningWorker[] = [];
  // Something else on a shared machine may end our redis-server: then this sweep is void, not stuck.
  let dead = false;
  let watch: NodeJS.Timeout | undefined;
  const gone = new Promise<Error>((resolve) => {
    watch = setInterval(async () => {
      if (!childExited(redis.pid)) return;
      clearInterval(watch);
      dead = true;
      const log = await readFile(join(redis.dir, 'redis.log'), 'utf8').catch(() => '');
      const last = log.trimEnd().split('\n').slice(-4).join(' | ');
      resolve(new RedisGone(`redis-server ${redis.pid} ended during the sweep, not by this script; its log: ${last}`));
    }, 500);
  });
  try {
    await client.connect();
    const started = await Promise.allSettled(
      Array.from({ length: workers.count }, (_, i) =>
        startWorker(redis.url, `w${i + 1}`, join(dir, `worker-${i + 1}`), tmp, workers),
      ),
    );
    for (const s of started) if (s.status === 'fulfilled') running.push(s.value);
    for (const s of started) if (s.status === 'rejected') throw s.reason;
    return await body({ redis, client, workers: running, gone });
  } catch (err) {
    if (dead || childExited(redis.pid))
      throw err instanceof RedisGone ? err : new RedisGone(`redis-server ended: ${err}`);
    throw err;
  } finally {
    clearInterval(watch);
    await Promise.all(
      running.map(async (w) => {
        await stop(w.proc, dead ? 0 : 15_000); // a worker waits for its Redis to come back
        const text = (ls: Line[]) => ls.map((l) => l.text).join('\n');
        await writeFile(join(dir, `worker-${w.name.slice(1)}`, 'worker.stdout'), text(w.proc.stdout));
        await writeFile(join(dir, `worker-${w.name.slice(1)}`, 'worker.stderr'), text(w.proc.stderr));
      }),
    );
    client.disconnect();
    await redis.stop();
    await rm(redis.dir, { recursive: true, force: true });
  }
}

class RedisGone extends Error {
  override name = 'RedisGone';
}

interface Interruption {
  measurement: string;
  attempt: number;
  at: string;
  reason: string;
}
const interruptions: Interruption[] = [];

/** `f`, again (up to 3 times in all) when what ended it was our Redis killed from outside. */
async function retried<T>(measurement: string, f: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await f();
    } catch (err) {
      if (!(err instanceof RedisGone) || attempt >= 3) throw err;
      interruptions.push({ measurement, attempt, at: new Date().toISOString(), reason: err.message });
      process.stderr.write(`\nqueue-bench: ${err.message}; again (${measurement})… `);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Machine and code facts

function sh(cmd: string, args: string[], cwd = ROOT): string {
  try {
    return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

async function newestMtime(dir: string): Promise<number> {
  let newest = 0;
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile() || !e.name.endsWith('.ts')) continue;
    newest = Math.max(newest, (await stat(join(e.parentPath, e.name))).mtimeMs);
  }
  return newest;
}

function pickBackend(): string {
  const asked = value('--backend');
  if (asked) return asked;
  try {
    const out = execFileSync(process.execPath, [CLI, 'doctor', '--json'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const d = JSON.parse(out) as { backends: { name: string; ok: boolean }[] };
    return d.backends.some((b) => b.name === 'onednn' && b.ok) ? 'onednn' : 'cpu';
  } catch {
    return 'cpu';
  }
}

/** In the repo, the way `npm run lint` wants it (biome: short arrays on one line); elsewhere as written. */
function formatJson(file: string): void {
  if (relative(ROOT, file).startsWith('..')) return;
  try {
    execFileSync(join(ROOT, 'node_modules', '.bin', 'biome'), ['format', '--write', file], { stdio: 'ignore' });
  } catch {
    process.stderr.write(`queue-bench: biome could not format ${file}; it is valid JSON all the same\n`);
  }
}

/** How long the CLI takes to start and do nothing (`--help`): a fixed part of every process here. */
function cliStartupMs(): number[] {
  return Array.from({ length: 3 }, () => {
    const t = performance.now();
    execFileSync(process.execPath, [CLI, '--help'], { stdio: 'ignore' });
    return round(performance.now() - t);
  });
}

// ---------------------------------------------------------------------------------------------
// Measurement 1 and 2: the real sweep, 1 worker against 2

interface RunRecord {
  round: number;
  workers: number;
  id: string;
  worker?: string;
  /** On its worker, the how-manieth job (0: the first). */
  nth: number;
  waitMs?: number;
  dispatchMs?: number;
  handoffMs?: number;
  prepMs?: number;
  idleBetweenMs?: number;
  trainMs?: number;
  uploadMs?: number;
  downloadMs?: number;
  transferMs?: number;
  bytes?: number;
  collectMs?: number;
}

interface RealRound {
  round: number;
  workers: number;
  wallMs: number;
  coordinatorCpuMs?: number;
  queuedAfterMs?: number;
  exit: number | null;
  completed: number;
  runs: number;
  jobsPerWorker: Record<string, number>;
  /** Sum of trainMs / wall: how busy the workers' lanes were. */
  trainShareOfWall: number;
  /** Last run collected until the coordinator exited. */
  tailMs?: number;
  cpu: ReturnType<typeof cpuAccount>;
  loadStart: [number, number, number];
  loadEnd: [number, number, number];
  commands: string[];
}

function runRecords(roundNo: number, workers: RunningWorker[], sweep: SweepOutcome, ev: QueueEvent[]): RunRecord[] {
  const jobs = byJob(ev);
  const timings = new Map((sweep.result?.timings ?? []).map((t) => [t.id, t]));
  const records: RunRecord[] = [];
  for (const w of workers) {
    // The jobs this worker ran, in the order it finished them, from its own events.
    const finished = w.events.filter((e) => e.event === 'finished');
    const evOf = (job: string, event: string) => w.events.find((e) => e.job === job && e.event === event);
    for (const [nth, f] of finished.entries()) {
      const id = f.job!;
      const t = timings.get(id);
      const q = jobs.get(id) ?? {};
      const prev = nth > 0 ? finished[nth - 1]! : undefined;
      const prevQ = prev ? (jobs.get(prev.job!) ?? {}) : undefined;
      const child = evOf(id, 'child');
      const r: RunRecord = { round: roundNo, workers: workers.length, id, worker: w.name, nth };
      r.waitMs = t?.waitMs;
      // The first job of a worker that sat waiting: from added to taken.
      if (nth === 0 && q.added !== undefined && q.active !== undefined) r.dispatchMs = q.active - q.added;
      // The next job, taken as the last one completed: BullMQ fetches it in the same call.
      if (prevQ?.completed !== undefined && q.active !== undefined) r.handoffMs = q.active - prevQ.completed;
      // Taken until its training process starts: check, config written and loaded, spawn.
      if (q.active !== undefined && child) r.prepMs = child.time - q.active;
      // Not training on this lane: the previous run's end (its process exited) until this one's start.
      if (prev && child) r.idleBetweenMs = child.time - (prev.time - Number(prev.uploadMs ?? 0));
      r.trainMs = t?.trainMs;
      r.uploadMs = t?.uploadMs;
      r.downloadMs = t?.downloadMs;
      if (t?.uploadMs !== undefined && t.downloadMs !== undefined) r.transferMs = t.uploadMs + t.downloadMs;
      r.bytes = t?.bytes;
      // Completed until the coordinator removed it: its poll (every 500 ms), the download, the index.
      if (q.completed !== undefined && q.removed !== undefined) r.collectMs = q.removed - q.completed;
      records.push(r);
    }
  }
  return records;
}

async function realSweeps(tmp: string, backend: string) {
  const seeds = Array.from({ length: REAL.runs }, (_, i) => i + 1);
  const set = { 'data.trainSize': REAL.trainSize, 'data.testSize': REAL.testSize, 'train.epochs': REAL.epochs };
  const yaml = sweepFile('queue-bench-real', seeds, set);
  const rounds: RealRound[] = [];
  const records: RunRecord[] = [];
  const loadStart = load();
  const t0 = Date.now();
  for (let r = 1; r <= REAL.rounds; r++) {
    for (const count of [1, 2]) {
      const dir = join(tmp, `real-round${r}-${count}w`);
      process.stderr.write(`queue-bench: real sweep, round ${r}, ${count} worker(s)… `);
      const before = load();
      const row = await retried(`real round ${r}, ${count} worker(s)`, async () => {
        await rm(dir, { recursive: true, force: true });
        return withQueue(
          tmp,
          dir,
          { count, backend, concurrency: 1, noTrain: false },
          async ({ redis, client, workers, gone }) => {
            const c0 = await cpuSnapshot(client, workers);
            const sweep = await runSweep(redis.url, join(dir, 'coordinator'), tmp, yaml, gone);
            const c1 = await cpuSnapshot(client, workers);
            const ev = await queueEvents(client);
            const recs = runRecords(r, workers, sweep, ev);
            records.push(...recs);
            const rows = sweep.result?.rows ?? [];
            const perWorker: Record<string, number> = {};
            for (const t of sweep.result?.timings ?? [])
              perWorker[t.worker ?? '?'] = (perWorker[t.worker ?? '?'] ?? 0) + 1;
            const lastRemoved = Math.max(...ev.filter((e) => e.event === 'removed').map((e) => e.ms));
            const trainSum = recs.reduce((s, x) => s + (x.trainMs ?? 0), 0);
            const out: RealRound = {
              round: r,
              workers: count,
              wallMs: sweep.wallMs,
              coordinatorCpuMs: sweep.cpuMs,
              queuedAfterMs: sweep.queuedAfterMs,
              exit: sweep.exit,
              completed: rows.filter((x) => x.status === 'completed').length,
              runs: rows.length,
              jobsPerWorker: perWorker,
              trainShareOfWall: round(trainSum / count / sweep.wallMs, 3),
              tailMs: Number.isFinite(lastRemoved) ? sweep.exitedAt - lastRemoved : undefined,
              cpu: cpuAccount(c0, c1, sweep.cpuMs, sweep.wallMs),
              loadStart: before,
              loadEnd: load(),
              commands: [...workers.map((w) => w.command), sweep.command],
            };
            if (out.completed !== REAL.runs)
              process.stderr.write(
                `\nqueue-bench: only ${out.completed} of ${REAL.runs} completed: ${sweep.stderrTail.join(' | ')}\n`,
              );
            return out;
          },
        );
      });
      rounds.push(row);
      process.stderr.write(`${(row.wallMs / 1000).toFixed(1)} s\n`);
    }
  }
  const med = (w: number) => median(rounds.filter((x) => x.workers === w).map((x) => x.wallMs));
  return {
    rounds,
    records,
    median1wMs: med(1),
    median2wMs: med(2),
    speedup: round(med(1) / med(2), 3),
    seconds: round((Date.now() - t0) / 1000),
    loadStart,
    loadEnd: load(),
  };
}

// ---------------------------------------------------------------------------------------------
// Measurement 3: tiny jobs

interface TinyPoint {
  runs: number;
  enqueued?: number;
  exit: number | null;
  /** Spawn until "N runs on the queue": CLI startup, planning (each config loaded and checked), enqueue. */
  planningMs?: number;
  /** Spawn until the first job was added to Redis: startup, planning, and the state check of every id. */
  firstAddedMs?: number;
  /** First job added until the last one was. */
  enqueueMs?: number;
  wallMs: number;
  wallPerJobMs: number;
  /** From "on the queue" to exit, per job: the processing, without startup and planning. */
  afterQueuedPerJobMs?: number;
  coordinatorCpuMs?: number;
  coordinatorCpuPerJobMs?: number;
  redisCpuMs: number;
  redisCpuPerJobMs: number;
  /** Redis CPU with the workers waiting and no sweep, per second: the floor under the figures above. */
  redisIdleCpuMsPerS: number;
  redisCpuNetPerJobMs: number;
  redisMainThreadCpuPerJobMs: number;
  workersCpuMs: number;
  workersCpuPerJobMs: number;
  redisMemoryBefore: number;
  redisMemoryAfter: number;
  redisMemoryPeak: number;
  redisKeysAfter: number;
  eventsInStream: number;
  /** First job active until the last one completed: the workers' part. */
  workersSpanMs?: number;
  /** Last job completed until the coordinator removed the last one: how far collection lagged. */
  collectLagMs?: number;
  collectMs?: Stats;
  statuses: Record<string, number>;
  cpu: ReturnType<typeof cpuAccount>;
  loadStart: [number, number, number];
  loadEnd: [number, number, number];
  commands: string[];
}

async function tinySweeps(tmp: string, backend: string) {
  const points: TinyPoint[] = [];
  const loadStart = load();
  const t0 = Date.now();
  for (const n of TINY.sizes) {
    const dir = join(tmp, `tiny-${n}`);
    process.stderr.write(`queue-bench: ${n} tiny jobs on ${TINY.workers} --no-train workers… `);
    const seeds = Array.from({ length: n }, (_, i) => i + 1);
    const yaml = sweepFile(`queue-bench-tiny-${n}`, seeds, {
      'data.trainSize': TINY.trainSize,
      'train.epochs': TINY.epochs,
    });
    const before = load();
    const point = await retried(`tiny N=${n}`, async () => {
      await rm(dir, { recursive: true, force: true });
      return withQueue(
        tmp,
        dir,
        { count: TINY.workers, backend, concurrency: TINY.concurrency, noTrain: true },
        async ({ redis, client, workers, gone }) => {
          const idle0 = await redisFacts(client);
          await sleep(TINY.idleMs);
          const idle1 = await redisFacts(client);
          const idleRate = (idle1.cpuMs - idle0.cpuMs) / (TINY.idleMs / 1000);
          const w0 = await Promise.all(workers.map((w) => cpuMs(w.proc.pid)));
          const r0 = await redisFacts(client);
          const c0 = await cpuSnapshot(client, workers);
          const sweep = await runSweep(redis.url, join(dir, 'coordinator'), tmp, yaml, gone);
          const c1 = await cpuSnapshot(client, workers);
          const r1 = await redisFacts(client);
          const w1 = await Promise.all(workers.map((w) => cpuMs(w.proc.pid)));
          const ev = await queueEvents(client);
          const jobs = byJob(ev);
          const added = ev.filter((e) => e.event === 'added').map((e) => e.ms);
          const collect = [...jobs.values()]
            .filter((j) => j.completed !== undefined && j.removed !== undefined)
            .map((j) => j.removed! - j.completed!);
          const times = (event: string) => ev.filter((e) => e.event === event).map((e) => e.ms);
          const [active, completed, removed] = [times('active'), times('completed'), times('removed')];
          const statuses: Record<string, number> = {};
          for (const row of sweep.result?.rows ?? []) statuses[row.status] = (statuses[row.status] ?? 0) + 1;
          const redisCpu = r1.cpuMs - r0.cpuMs;
          const workersCpu = w1.reduce((s, x, i) => s + x - w0[i]!, 0);
          const p: TinyPoint = {
            runs: n,
            enqueued: sweep.result?.enqueued,
            exit: sweep.exit,
            planningMs: sweep.queuedAfterMs,
            firstAddedMs: added.length ? Math.min(...added) - sweep.startedAt : undefined,
            enqueueMs: added.length ? Math.max(...added) - Math.min(...added) : undefined,
            wallMs: sweep.wallMs,
            wallPerJobMs: round(sweep.wallMs / n, 2),
            afterQueuedPerJobMs:
              sweep.queuedAfterMs === undefined ? undefined : round((sweep.wallMs - sweep.queuedAfterMs) / n, 2),
            coordinatorCpuMs: sweep.cpuMs === undefined ? undefined : round(sweep.cpuMs),
            coordinatorCpuPerJobMs: sweep.cpuMs === undefined ? undefined : round(sweep.cpuMs / n, 2),
            redisCpuMs: round(redisCpu),
            redisCpuPerJobMs: round(redisCpu / n, 3),
            redisIdleCpuMsPerS: round(idleRate, 2),
            redisCpuNetPerJobMs: round((redisCpu - (idleRate * sweep.wallMs) / 1000) / n, 3),
            redisMainThreadCpuPerJobMs: round((r1.cpuMainThreadMs - r0.cpuMainThreadMs) / n, 3),
            workersCpuMs: round(workersCpu),
            workersCpuPerJobMs: round(workersCpu / n, 2),
            redisMemoryBefore: r0.usedMemory,
            redisMemoryAfter: r1.usedMemory,
            redisMemoryPeak: r1.usedMemoryPeak,
            redisKeysAfter: r1.keys,
            eventsInStream: ev.length,
            workersSpanMs: active.length && completed.length ? Math.max(...completed) - Math.min(...active) : undefined,
            collectLagMs:
              completed.length && removed.length ? Math.max(...removed) - Math.max(...completed) : undefined,
            collectMs: collect.length ? stats(collect) : undefined,
            statuses,
            cpu: cpuAccount(c0, c1, sweep.cpuMs, sweep.wallMs),
            loadStart: before,
            loadEnd: load(),
            commands: [...workers.map((w) => w.command), sweep.command],
          };
          return p;
        },
      );
    });
    points.push(point);
    process.stderr.write(`${(point.wallMs / 1000).toFixed(1)} s\n`);
  }
  const xs = points.map((p) => p.runs);
  const fitOf = (f: (p: TinyPoint) => number | undefined) => {
    const ys = points.map(f);
    return ys.every((y) => y !== undefined) ? linearFit(xs, ys as number[]) : undefined;
  };
  return {
    points,
    fits: {
      planningMs: fitOf((p) => p.planningMs),
      wallMs: fitOf((p) => p.wallMs),
      coordinatorCpuMs: fitOf((p) => p.coordinatorCpuMs),
      redisCpuMs: fitOf((p) => p.redisCpuMs),
      workersCpuMs: fitOf((p) => p.workersCpuMs),
      redisMemoryAfter: fitOf((p) => p.redisMemoryAfter),
    },
    seconds: round((Date.now() - t0) / 1000),
    loadStart,
    loadEnd: load(),
  };
}

// ---------------------------------------------------------------------------------------------
// Tables

function table(head: string[], rows: (string | number | undefined)[][]): string {
  const cells = [head, ...rows.map((r) => r.map((c) => (c === undefined ? '-' : String(c))))];
  const widths = head.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
  return [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

const s1 = (ms: number | undefined) => (ms === undefined ? undefined : (ms / 1000).toFixed(1));
const kib = (b: number) => `${(b / 1024).toFixed(0)} KiB`;

// ---------------------------------------------------------------------------------------------

async function main() {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first, npx tsc -p tsconfig.build.json`);
  const buildInfo = join(ROOT, 'dist', '.tsbuildinfo');
  const builtAt = statSync(existsSync(buildInfo) ? buildInfo : CLI).mtimeMs;
  const srcNewest = await newestMtime(join(ROOT, 'src'));
  if (srcNewest > builtAt)
    process.stderr.write('queue-bench: warning: src/ has files newer than the last build of dist/: it may be stale\n');
  const began = Date.now();
  const tmp = await mkdtemp(join(os.tmpdir(), 'queue-bench-'));
  try {
    const backend = pickBackend();
    const cpus = os.cpus();
    const machine = {
      cpuModel: cpus[0]?.model ?? '?',
      cores: cpus.length,
      totalMemoryGiB: round(os.totalmem() / 1024 ** 3, 1),
      os: `${os.type()} ${os.release()} ${os.arch()}`,
      node: process.version,
      redisServer: sh('redis-server', ['--version']),
      date: new Date(began).toISOString(),
      loadAtStart: load(),
    };
    const code = {
      commit: sh('git', ['rev-parse', 'HEAD']),
      uncommittedChanges: sh('git', ['status', '--porcelain']).split('\n').filter(Boolean).length,
      distBuiltAt: new Date(builtAt).toISOString(),
      srcNewerThanDist: srcNewest > builtAt,
    };
    process.stderr.write(
      `queue-bench: ${machine.cpuModel}, ${machine.cores} cores, node ${machine.node}, backend ${backend}, load ${machine.loadAtStart.join(' ')}\n`,
    );
    const startup = cliStartupMs();
    const real = await realSweeps(tmp, backend);
    const tiny = await tinySweeps(tmp, backend);

    const pick = (w: number | undefined, f: (r: RunRecord) => number | undefined) =>
      real.records
        .filter((r) => w === undefined || r.workers === w)
        .flatMap((r) => (f(r) === undefined ? [] : [f(r)!]));
    const overheadFor = (w: number | undefined) => ({
      dispatchFirstMs: stats(pick(w, (r) => r.dispatchMs)),
      handoffMs: stats(pick(w, (r) => r.handoffMs)),
      waitMsWhenWorkerFree: stats(pick(w, (r) => (r.nth === 0 ? r.dispatchMs : r.handoffMs))),
      prepMs: stats(pick(w, (r) => r.prepMs)),
      idleBetweenRunsMs: stats(pick(w, (r) => r.idleBetweenMs)),
      uploadMs: stats(pick(w, (r) => r.uploadMs)),
      downloadMs: stats(pick(w, (r) => r.downloadMs)),
      transferMs: stats(pick(w, (r) => r.transferMs)),
      resultBytes: stats(pick(w, (r) => r.bytes)),
      collectMs: stats(pick(w, (r) => r.collectMs)),
      trainMs: stats(pick(w, (r) => r.trainMs)),
    });
    const overhead = { all: overheadFor(undefined), oneWorker: overheadFor(1), twoWorkers: overheadFor(2) };

    const seconds = round((Date.now() - began) / 1000);
    const result = {
      benchmark: 'queue-scale',
      command: `npx vite-node bench/queue-bench.ts${argv.length ? ` ${argv.join(' ')}` : ''}`,
      quick: QUICK,
      seconds,
      machine: { ...machine, loadAtEnd: load() },
      code,
      paths: {
        $REPO: ROOT,
        $TMP: `a fresh mkdtemp under ${os.tmpdir()}, removed at the end; each sweep and each worker has a folder of its own in it`,
      },
      backend,
      cliStartupMs: { runs: startup, median: median(startup), command: 'node dist/cli/main.js --help' },
      scaling: {
        what: 'wall time of `mnist-run sweep --queue` (spawn to exit) for the same sweep on 1 worker and on 2, interleaved; a fresh redis-server, fresh workers (ready before the sweep starts) and a fresh coordinator folder each time',
        conditions: {
          sweep: `${REAL.runs} runs of configs/ann-seed.yaml, grid seed 1..${REAL.runs}, data.trainSize ${REAL.trainSize}, data.testSize ${REAL.testSize}, train.epochs ${REAL.epochs}`,
          worker: `--concurrency 1 --threads 1 --backend ${backend}, each in its own temp folder`,
          rounds: REAL.rounds,
          note: `the machine has ${machine.cores} cores: 2 workers with one thread each fill them, and the coordinator, redis-server and the worker processes share them too`,
        },
        columns: {
          wallMs: 'spawn of the sweep command until it exited',
          coordinatorCpuMs: `${TIME}: user + system CPU of the sweep process`,
          queuedAfterMs: 'spawn until its stderr line "N runs on the queue" (node start, planning, enqueue)',
          tailMs: 'the last job removed from Redis by the coordinator until the coordinator exited',
          trainShareOfWall:
            'sum of the runs’ trainMs / workers / wall: how much of the wall the lanes spent in training processes',
          cpu: CPU_NOTE,
        },
        rounds: real.rounds,
        median1wMs: real.median1wMs,
        median2wMs: real.median2wMs,
        speedup1wOver2w: real.speedup,
        seconds: real.seconds,
        loadStart: real.loadStart,
        loadEnd: real.loadEnd,
      },
      overhead: {
        what: 'the queue’s own cost per run in the real sweeps above, all times on the one machine clock (BullMQ’s event stream entries carry the Redis server’s ms clock; worker events their own `time`)',
        definitions: {
          dispatchFirstMs:
            'first job of each worker, which sat idle in its blocking wait: `added` → `active` event (= the sweep’s waitMs for that job)',
          handoffMs:
            'every later job of a worker: previous job `completed` → this job `active` (BullMQ fetches the next job in the same call that completes the last)',
          waitMsWhenWorkerFree: 'the two above together: how long a run waits once a worker is free for it',
          prepMs:
            'job `active` → the worker’s `child` event: job checked (schema, content id, data), config written and loaded, training process spawned',
          idleBetweenRunsMs:
            'on one worker, previous training process ended (its `finished` time minus its uploadMs) → next training process spawned: the lane’s dead time between runs (upload + completion + hand-off + prep)',
          uploadMs: 'the worker’s upload of the run folder into Redis (gzip, chunks)',
          downloadMs: 'the coordinator’s download of it',
          transferMs: 'uploadMs + downloadMs',
          resultBytes: 'gzip bytes of the run folder sent',
          collectMs:
            'job `completed` → `removed` by the coordinator: its poll (every 500 ms), getJob/getState, download, rename into the sweep, index.csv, removal',
          trainMs:
            'the worker’s trainMs: the training process from spawn to exit (node start, tfjs, data, training, writing the run folder)',
          waitMsAsReported:
            'the sweep’s own waitMs (processedOn − timestamp) also counts the time a run queued behind others; it is in perRun',
        },
        all: overhead.all,
        oneWorker: overhead.oneWorker,
        twoWorkers: overhead.twoWorkers,
        perRun: real.records,
      },
      interruptions: {
        what: 'sweeps started again because their redis-server was ended from outside this script (a shared machine); the figures above are from the attempts that ran through',
        list: interruptions,
      },
      tinyJobs: {
        what: 'N tiny jobs through the queue, checked but not trained, to show what one job costs as N grows',
        conditions: {
          sweep: `grid seed 1..N over configs/ann-seed.yaml, data.trainSize ${TINY.trainSize}, train.epochs ${TINY.epochs}`,
          workers: `${TINY.workers} workers, --no-train --concurrency ${TINY.concurrency}, each in its own temp folder; every run ends "failed: checked only, not trained" by design`,
          redis:
            'a fresh redis-server per N (appendonly everysec, as test/helpers/redis-server.ts starts it); CPU from INFO cpu used_cpu_sys + used_cpu_user just before the sweep starts and just after it exits; idle rate measured over the seconds before, workers waiting',
          coordinatorCpu: `${TIME} -f '%e %U %S': user + system CPU of the whole sweep process, planning included (it loads and checks each run’s config with zod)`,
          workersCpu: '/proc/<pid>/stat utime + stime of both worker processes before and after the sweep',
          planning:
            'spawn of the sweep command until its stderr line "N runs on the queue": node start, planning, the state check of every id, enqueue',
          cpu: CPU_NOTE,
        },
        points: tiny.points,
        linearFits: {
          what: 'least squares y = fixed + perJob · N over the points: perJob is the marginal cost of one more job',
          ...tiny.fits,
        },
        seconds: tiny.seconds,
        loadStart: tiny.loadStart,
        loadEnd: tiny.loadEnd,
      },
    };
    await mkdir(dirname(OUT), { recursive: true });
    await writeFile(OUT, `${JSON.stringify(result, null, 2)}\n`);
    formatJson(OUT);

    // Tables
    const out: string[] = [];
    out.push(
      `${machine.cpuModel}, ${machine.cores} cores, ${machine.totalMemoryGiB} GiB, node ${machine.node}, ${machine.redisServer.split(' ').slice(0, 3).join(' ')}, backend ${backend}`,
    );
    out.push(`CLI startup (--help): ${startup.join(', ')} ms`);
    out.push('');
    out.push(`1. ${result.scaling.conditions.sweep}; workers --threads 1`);
    out.push(
      table(
        [
          'round',
          'workers',
          'wall s',
          'coord CPU s',
          'queued at s',
          'tail ms',
          'completed',
          'jobs/worker',
          'train share',
          'others cores',
          'load start',
          'load end',
        ],
        real.rounds.map((r) => [
          r.round,
          r.workers,
          s1(r.wallMs),
          s1(r.coordinatorCpuMs),
          s1(r.queuedAfterMs),
          r.tailMs,
          `${r.completed}/${r.runs}`,
          Object.values(r.jobsPerWorker).join('+'),
          r.trainShareOfWall,
          r.cpu.othersCores,
          r.loadStart[0],
          r.loadEnd[0],
        ]),
      ),
    );
    out.push(
      `median wall 1 worker ${s1(real.median1wMs)} s, 2 workers ${s1(real.median2wMs)} s: speedup ${real.speedup}×`,
    );
    out.push('');
    out.push('2. the queue’s cost per run (ms; bytes for result size), from the sweeps above');
    const rowsOf = (o: ReturnType<typeof overheadFor>) =>
      Object.entries(o).map(([k, s]) => [k, s.n, s.median, s.p90, s.min, s.max]);
    out.push(table(['all sweeps', 'n', 'median', 'p90', 'min', 'max'], rowsOf(overhead.all)));
    out.push(
      table(
        ['1w | 2w', 'median 1w', 'p90 1w', 'median 2w', 'p90 2w'],
        Object.keys(overhead.all).map((k) => {
          const a = overhead.oneWorker[k as keyof typeof overhead.all];
          const b = overhead.twoWorkers[k as keyof typeof overhead.all];
          return [k, a.median, a.p90, b.median, b.p90];
        }),
      ),
    );
    out.push('');
    out.push(`3. tiny jobs, ${TINY.workers} workers --no-train --concurrency ${TINY.concurrency}: time`);
    out.push(
      table(
        [
          'N',
          'planning ms',
          'enqueue ms',
          'wall s',
          'wall/job ms',
          'after-queued/job ms',
          'workers span s',
          'collect lag s',
          'collect p50/p90 ms',
          'others cores',
          'load start',
          'load end',
        ],
        tiny.points.map((p) => [
          p.runs,
          p.planningMs,
          p.enqueueMs,
          s1(p.wallMs),
          p.wallPerJobMs,
          p.afterQueuedPerJobMs,
          s1(p.workersSpanMs),
          s1(p.collectLagMs),
          p.collectMs ? `${p.collectMs.median}/${p.collectMs.p90}` : undefined,
          p.cpu.othersCores,
          p.loadStart[0],
          p.loadEnd[0],
        ]),
      ),
    );
    out.push('   cost (CPU ms per job; Redis memory)');
    out.push(
      table(
        [
          'N',
          'coord CPU/job',
          'workers CPU/job',
          'redis CPU/job',
          'net of idle',
          'redis main thread',
          'redis mem before',
          'after',
          'peak',
          'keys after',
        ],
        tiny.points.map((p) => [
          p.runs,
          p.coordinatorCpuPerJobMs,
          p.workersCpuPerJobMs,
          p.redisCpuPerJobMs,
          p.redisCpuNetPerJobMs,
          p.redisMainThreadCpuPerJobMs,
          kib(p.redisMemoryBefore),
          kib(p.redisMemoryAfter),
          kib(p.redisMemoryPeak),
          p.redisKeysAfter,
        ]),
      ),
    );
    const f = tiny.fits;
    out.push(
      `marginal per job (fit over N): planning ${f.planningMs?.perJob} ms, wall ${f.wallMs?.perJob} ms, coordinator CPU ${f.coordinatorCpuMs?.perJob} ms, workers CPU ${f.workersCpuMs?.perJob} ms, redis CPU ${f.redisCpuMs?.perJob} ms; fixed: planning ${f.planningMs?.fixed} ms, coordinator CPU ${f.coordinatorCpuMs?.fixed} ms`,
    );
    out.push('');
    for (const i of interruptions) out.push(`interrupted, ${i.measurement}, attempt ${i.attempt}: ${i.reason}`);
    out.push(
      `${seconds.toFixed(0)} s in all; load ${machine.loadAtStart.join(' ')} at start, ${load().join(' ')} at end`,
    );
    out.push(`written to ${relative(process.cwd(), OUT)}`);
    process.stdout.write(`${out.join('\n')}\n`);
  } finally {
    if (KEEP) process.stderr.write(`queue-bench: kept ${tmp}\n`);
    else await rm(tmp, { recursive: true, force: true });
  }
}

await main();
