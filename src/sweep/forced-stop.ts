/**
 * A sweep's last act when a second signal ends it at once. All of it is synchronous: the process
 * exits right after, and no callback, timer or await would run again.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RUN_FILES, SWEEP_FILES } from '../output-files.js';
import { MetaSchema, SummarySchema } from '../run/format.js';
import { writeMetaSync } from '../run/meta.js';
import { decode } from '../run/read.js';
import { writeFileAtomicSync } from '../util/fs.js';
import { childExited, sleepSync } from '../util/process.js';
import type { StartedChild } from './child.js';
import type { PlannedRun } from './format.js';
import { type IndexRow, indexCsv, type RowSource, rowFromRun } from './index-file.js';

/** How long children get to write their own status after the second signal before they are killed. */
export const GRACE_MS = 3000;

export interface AtOnce {
  dir: string;
  running: Map<PlannedRun, StartedChild>;
  rows: IndexRow[];
  plan: PlannedRun[];
  signal: NodeJS.Signals;
  release: () => void;
  now: () => Date;
  /** process.stderr: synchronous for files and pipes, so the line is out before the exit. */
  stderr: NodeJS.WritableStream;
  graceMs?: number;
}

const KILLED = `killed by the sweep, stopped at once by a second signal, before the run could write its status`;

/** Waits, blocking, until every pid has exited or `ms` passed; returns those still there. */
function waitExited(pids: number[], ms: number): number[] {
  const until = Date.now() + ms;
  let left = pids.filter((p) => !childExited(p));
  while (left.length && Date.now() < until) {
    sleepSync(20);
    left = left.filter((p) => !childExited(p));
  }
  return left;
}

const readJson = (file: string): unknown => {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
};

/** What readRun would say of a run folder whose process is over, read synchronously. */
function readOverRun(runDir: string, now: Date): RowSource | undefined {
  const raw = readJson(join(runDir, RUN_FILES.meta));
  if (raw === undefined) return undefined;
  const meta = decode(RUN_FILES.meta, MetaSchema, raw).value;
  const rawSummary = readJson(join(runDir, RUN_FILES.summary));
  const summary = rawSummary === undefined ? undefined : decode(RUN_FILES.summary, SummarySchema, rawSummary).value;
  const full = MetaSchema.safeParse(raw);
  if (meta?.status === 'running' && full.success) {
    // Killed before its own last act: the sweep knows how it ended, and says so.
    const fixed = { ...full.data, status: 'interrupted' as const, end: now.toISOString(), error: KILLED };
    writeMetaSync(runDir, fixed);
    return { status: 'interrupted', meta: fixed, summary };
  }
  return meta?.status ? { status: meta.status, meta, summary } : undefined;
}

/**
 * Passes the second signal on (after the first, to a run not yet asked), so each child quits at
 * once and writes its own truthful status; kills any that has not within the grace; then writes
 * index.csv and releases the lock. No child outlives the sweep: each has exited, or been sent
 * SIGKILL and exited, before this returns.
 */
export function stopAtOnce(o: AtOnce): void {
  const live = [...o.running.entries()];
  o.stderr.write(`sweep: stopping at once: ${o.signal} passed on to ${live.length} running run(s)\n`);
  // A run not yet asked gets the first signal now; sent back to back, two would merge into one.
  if (live.filter(([, child]) => child.interrupt(o.signal)).length) sleepSync(50);
  for (const [, child] of live) child.signal(o.signal);
  const stuck = waitExited(
    live.map(([, c]) => c.pid),
    o.graceMs ?? GRACE_MS,
  );
  for (const [, child] of live) if (stuck.includes(child.pid)) child.signal('SIGKILL');
  waitExited(stuck, 1000); // SIGKILL is not refused: this only lets the kernel finish the job
  // Every row still `running`: the runs just stopped, and one whose exit was being recorded.
  for (const [i, run] of o.plan.entries()) {
    if (o.rows[i]?.status !== 'running') continue;
    const rec = readOverRun(join(o.dir, run.dir), o.now());
    const row = rowFromRun(run, rec, 'stopped at once by a second signal, before it wrote meta.json');
    if (row.status === 'failed' || row.status === 'crashed') row.status = 'interrupted';
    o.rows[i] = row;
  }
  // Before the first index.csv of this pass there are no rows to write, and an old index stays as it was.
  if (o.rows.length) writeFileAtomicSync(join(o.dir, SWEEP_FILES.index), indexCsv(o.rows));
  o.release();
}
