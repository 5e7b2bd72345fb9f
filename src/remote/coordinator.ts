/**
 * `mnist-run sweep FILE --queue URL`: plans as a local sweep does, puts one job per unfinished run
 * on the queue (the job id is the run's content id, so no point is ever queued twice), then waits,
 * collecting each finished run into the sweep folder as a local sweep would have written it. Ctrl-C
 * stops the waiting only: the queue keeps its jobs and the workers go on; the same command again
 * re-attaches, collects what finished meanwhile and queues nothing twice.
 */
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type { LoadedConfig } from '../config/load.js';
import type { TerminalLevel } from '../log.js';
import type { PlannedRun, SweepPlan } from '../sweep/format.js';
import { type IndexRow, rowResult } from '../sweep/index-file.js';
import { indexWriter, initialRows, openSweepFolder, writePlan } from '../sweep/run-sweep.js';
import { type Collected, collectCompleted, collectFailed } from './collect.js';
import { JOB_OPTIONS, type JobData, QUEUE_NAME, QUEUE_PREFIX } from './job.js';
import { type ActiveRun, etaSeconds, statusDisplay, statusLine } from './progress.js';
import { connectionOptions, type RedisAddress, redact } from './url.js';

export interface QueuedSweepOptions {
  plan: SweepPlan;
  configs: Map<string, LoadedConfig>;
  sums: Map<string, string[]>;
  dir: string;
  address: RedisAddress;
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** --quiet's warn: only failed runs and a lost Redis are said; no status line. */
  level?: TerminalLevel;
  now: () => Date;
  interrupted: () => boolean;
  pollMs?: number;
}

export interface QueuedSweepOutcome {
  dir: string;
  rows: IndexRow[];
  skipped: number;
  /** Runs put on the queue by this command; the others were there already (or finished there). */
  enqueued: number;
  stopped: boolean;
  timings: Collected['timing'][];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `p`, or undefined as soon as `interrupted()` turns true: a Redis that is down must not hold Ctrl-C. */
async function unlessInterrupted<T>(p: Promise<T>, interrupted: () => boolean): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const stop = new Promise<undefined>((resolve) => {
    timer = setInterval(() => interrupted() && resolve(undefined), 100);
  });
  try {
    return await Promise.race([p, stop]);
  } finally {
    clearInterval(timer);
  }
}

function jobData(o: QueuedSweepOptions, run: PlannedRun): JobData {
  return {
    v: 1,
    sweep: o.plan.name,
    label: run.label,
    config: o.configs.get(run.id)!.resolvedYaml,
    dataSha256: o.sums.get(run.id)!,
    codeVersion: o.plan.codeVersion,
  };
}

/** Queues what is not on the queue yet; returns how many that was. */
async function enqueue(o: QueuedSweepOptions, queue: Queue, todo: PlannedRun[]): Promise<number> {
  const states = await Promise.all(todo.map((r) => queue.getJobState(r.id)));
  const fresh = todo.filter((_, i) => states[i] === 'unknown');
  for (let i = 0; i < fresh.length; i += 500)
    await queue.addBulk(
      fresh.slice(i, i + 500).map((run) => ({
        name: o.plan.name,
        data: jobData(o, run),
        opts: { ...JOB_OPTIONS, jobId: run.id },
      })),
    );
  return fresh.length;
}

/** Connections that say once when Redis goes away and once when it is back. */
function watchConnection(o: QueuedSweepOptions, print: (line: string) => void) {
  let lost = false;
  return {
    error: (err?: Error) => {
      if (lost) return;
      lost = true;
      const why = err ? ((err as { code?: string }).code ?? err.message) : 'connection closed';
      print(`sweep: ${redact(`Redis at ${o.address.shown} unreachable (${why})`, o.address)}; waiting for it`);
    },
    ready: () => {
      if (lost) print(`sweep: Redis at ${o.address.shown} is back`);
      lost = false;
    },
  };
}

/** Queues the plan's unfinished runs and collects them as they finish, until all are in or Ctrl-C. */
export async function runQueuedSweep(o: QueuedSweepOptions): Promise<QueuedSweepOutcome> {
  const release = await openSweepFolder(o.dir);
  const display = statusDisplay(o.stderr);
  const quiet = o.level === 'warn';
  const info = quiet ? () => undefined : display.print;
  const conn = watchConnection(o, display.print);
  const connection = connectionOptions(o.address);
  const queue = new Queue(QUEUE_NAME, { connection, prefix: QUEUE_PREFIX });
  const redis = new Redis(connection);
  queue.on('error', conn.error);
  let closing = false;
  redis
    .on('error', conn.error)
    .on('close', () => closing || conn.error())
    .on('ready', conn.ready);
  const timings: Collected['timing'][] = [];
  try {
    await writePlan(o.dir, o.plan);
    const rows = await initialRows(o);
    const index = indexWriter(o.dir, rows);
    await index.save();
    const at = new Map(o.plan.runs.map((r, i) => [r.id, i]));
    const waiting = new Set(o.plan.runs.filter((_, i) => rows[i]!.status === 'pending').map((r) => r.id));
    const skipped = rows.length - waiting.size;
    if (skipped) info(`sweep: ${skipped} of ${rows.length} runs already finished, skipped`);
    const todo = o.plan.runs.filter((r) => waiting.has(r.id));
    const enqueued = (await unlessInterrupted(enqueue(o, queue, todo), o.interrupted)) ?? 0;
    info(
      `sweep: ${todo.length} runs on the queue at ${o.address.shown} (${enqueued} queued now, ${todo.length - enqueued} there already)`,
    );
    const total = waiting.size;
    const seconds: number[] = [];
    let done = 0;
    let failed = 0;
    while (waiting.size && !o.interrupted()) {
      const ids = await unlessInterrupted(queue.getRanges(['completed', 'failed'], 0, -1), o.interrupted);
      if (ids === undefined) break;
      let changed = false;
      for (const id of ids.filter((x) => waiting.has(x))) {
        const job = await queue.getJob(id);
        if (!job) continue;
        const run = o.plan.runs[at.get(id)!]!;
        const state = await job.getState();
        const got =
          state === 'failed'
            ? await collectFailed(o.dir, run, job, o.now())
            : await collectCompleted(o.dir, run, job, redis, o.now(), o.plan.codeVersion);
        rows[at.get(id)!] = got.row;
        waiting.delete(id);
        timings.push(got.timing);
        if (got.row.status === 'completed') done++;
        else failed++;
        if (got.timing.trainMs !== undefined) seconds.push(got.timing.trainMs / 1000);
        changed = true;
        (got.row.status === 'completed' ? info : display.print)(
          `sweep: [${done + failed}/${total}] ${got.row.status} ${id} ${run.label} ${rowResult(got.row)}${got.timing.worker ? ` on ${got.timing.worker}` : ''}`,
        );
      }
      const activeIds = ((await unlessInterrupted(queue.getRanges(['active'], 0, -1), o.interrupted)) ?? []).filter(
        (x) => waiting.has(x),
      );
      const active: ActiveRun[] = [];
      for (const id of activeIds) {
        const job = await queue.getJob(id);
        const p = (job?.progress ?? {}) as { epoch?: number; epochs?: number; worker?: string };
        active.push({ id, worker: p.worker ?? job?.processedBy, epoch: p.epoch, epochs: p.epochs });
      }
      for (const id of waiting) {
        const row = rows[at.get(id)!]!;
        const status = activeIds.includes(id) ? 'running' : 'pending';
        if (row.status === status) continue;
        row.status = status;
        changed = true;
      }
      // Once per poll, not per run: each write is the whole table, so per run it grew as N².
      if (changed) await index.save();
      const counts = { queued: waiting.size - active.length, active, done, failed };
      if (!quiet)
        display.show(
          statusLine(counts, etaSeconds(counts, seconds)),
          JSON.stringify([counts.queued, activeIds, done, failed]),
        );
      if (waiting.size) await sleep(o.pollMs ?? 500);
    }
    display.end();
    // Still on the queue: pending here until a later sweep command collects them.
    for (const id of waiting) rows[at.get(id)!]!.status = 'pending';
    await index.save();
    await index.flushed();
    return { dir: o.dir, rows, skipped, enqueued, stopped: waiting.size > 0, timings };
  } finally {
    closing = true;
    display.end();
    release();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise((r) => (timer = setTimeout(r, 1000)));
    await Promise.race([Promise.all([queue.close(), redis.quit()]), late]).catch(() => undefined);
    clearTimeout(timer);
    redis.disconnect();
    await queue.disconnect().catch(() => undefined);
  }
}
