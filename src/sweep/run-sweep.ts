import { copyFile, mkdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { TerminalLevel } from '../log.js';
import { SWEEP_FILES } from '../output-files.js';
import { formatJson } from '../run/format.js';
import { readRun } from '../run/read.js';
import { resumesFromCheckpoint } from '../run/resumable.js';
import { writeFileAtomic } from '../util/fs.js';
import { type ChildSpec, childArgs, lastError, type StartedChild } from './child.js';
import { lockSweep, setAside } from './folder.js';
import { stopAtOnce } from './forced-stop.js';
import { type PlannedRun, type SweepPlan, SweepPlanSchema } from './format.js';
import { type IndexRow, indexCsv, rowFromRun, rowResult } from './index-file.js';
import { runQueue } from './queue.js';
import { type Say, sweepSay } from './say.js';

export interface SweepRunOptions {
  plan: SweepPlan;
  dir: string;
  parallel: number;
  threads: number;
  backend: string;
  start: (c: ChildSpec) => Promise<StartedChild>;
  stderr: NodeJS.WritableStream;
  /** What the sweep's own lines show: --quiet's warn keeps only runs that did not complete; --verbose's debug adds commands and times. */
  level?: TerminalLevel;
  now: () => Date;
  interrupted: () => boolean;
  /** The signal that stopped the sweep: passed on to the children as it came. */
  stoppedBy?: () => NodeJS.Signals | undefined;
  /** Registers the synchronous last act for a second signal (the CLI env's); returns the undo. */
  onForcedExit?: (hook: () => void) => () => void;
  /** The CLI the children run; the built dist/cli/main.js unless a test stands in for it. */
  cliEntry?: string;
}

export interface SweepOutcome {
  dir: string;
  rows: IndexRow[];
  skipped: number;
  stopped: boolean;
}

/**
 * Finished runs are skipped; a stopped one with a checkpoint resumes from it (its ids go in
 * `resumes`); any other folder under the run's id is an unfinished attempt, set aside.
 */
export async function initialRows(
  o: Pick<SweepRunOptions, 'plan' | 'dir' | 'now'>,
  resumes?: Set<string>,
): Promise<IndexRow[]> {
  return Promise.all(
    o.plan.runs.map(async (run) => {
      const rec = await readRun(join(o.dir, run.dir));
      if (rec.status === 'completed' && rec.summary) return rowFromRun(run, rec);
      const pending = {
        id: run.id,
        label: run.label,
        overrides: run.overrides,
        status: 'pending' as const,
        dir: run.dir,
      };
      if (resumes && (await resumesFromCheckpoint(rec))) {
        resumes.add(run.id);
        return pending;
      }
      await setAside(o.dir, join(o.dir, run.dir), run.id, o.now());
      return pending;
    }),
  );
}

/** index.csv kept current. One write at a time: each carries the whole table, so an older one must never land last. */
export function indexWriter(dir: string, rows: IndexRow[]) {
  let writing = Promise.resolve();
  return {
    save: () => (writing = writing.then(() => writeFileAtomic(join(dir, SWEEP_FILES.index), indexCsv(rows)))),
    flushed: () => writing,
  };
}

/** The queue's two hooks: start a run as a child; on its exit, read what its folder says into the index. */
function hooks(
  o: SweepRunOptions,
  rows: IndexRow[],
  save: () => Promise<void>,
  total: number,
  running: Map<PlannedRun, StartedChild>,
  resumes: Set<string>,
  say: Say,
) {
  const at = (run: PlannedRun) => o.plan.runs.indexOf(run);
  const logOf = (run: PlannedRun) => join(o.dir, SWEEP_FILES.logs, `${run.id}.log`);
  const began = new Map<PlannedRun, number>();
  let finished = 0;
  return {
    start: async (run: PlannedRun) => {
      rows[at(run)]!.status = 'running';
      await save();
      const resume = resumes.has(run.id);
      say.info(`${resume ? 'resume' : 'start'} ${run.id} ${run.label}${resume ? ' from its checkpoint' : ''}`);
      const { backend, threads, cliEntry } = o;
      const spec: ChildSpec = {
        baseConfig: o.plan.baseConfig,
        overrides: run.overrides,
        runDir: join(o.dir, run.dir),
        backend,
        threads,
        logFile: logOf(run),
        cliEntry,
        resume,
      };
      say.debug(
        `${run.id}: mnist-run ${childArgs(spec).slice(1).join(' ')} (${threads} threads, stderr in ${spec.logFile})`,
      );
      const child = await o.start(spec);
      began.set(run, o.now().getTime());
      running.set(run, child);
      return child;
    },
    finished: async (run: PlannedRun, code: number | null) => {
      running.delete(run);
      const rec = await readRun(join(o.dir, run.dir));
      // 130/143, or killed by the forwarded signal before its handler was installed: we asked it to stop.
      const stopped = code === 130 || code === 143 || (code === null && o.interrupted());
      const row = rowFromRun(
        run,
        rec.meta || rec.summary ? rec : undefined,
        stopped ? 'interrupted' : await lastError(logOf(run)),
      );
      if (stopped && (row.status === 'failed' || row.status === 'crashed')) row.status = 'interrupted';
      rows[at(run)] = row;
      await save();
      const line = `[${++finished}/${total}] ${row.status} ${run.id} ${run.label} ${rowResult(row)}`;
      if (row.status === 'completed') say.info(line);
      else say.warn(`${line}; its log: ${relative(o.dir, logOf(run))}`);
      const seconds = (o.now().getTime() - (began.get(run) ?? o.now().getTime())) / 1000;
      say.debug(`${run.id}: exit ${code ?? 'by signal'} after ${seconds.toFixed(1)} s wall`);
    },
  };
}

/** The sweep folder, made and locked: runs/, logs/, then the lock; returns the lock's release. */
export async function openSweepFolder(dir: string): Promise<() => void> {
  await mkdir(join(dir, SWEEP_FILES.runs), { recursive: true });
  await mkdir(join(dir, SWEEP_FILES.logs), { recursive: true });
  return lockSweep(dir);
}

/** What every sweep writes first: the sweep file as written and plan.json. */
export async function writePlan(dir: string, plan: SweepPlan): Promise<void> {
  await copyFile(plan.sweepFile, join(dir, SWEEP_FILES.sweep));
  await writeFileAtomic(join(dir, SWEEP_FILES.plan), formatJson(SWEEP_FILES.plan, SweepPlanSchema, plan));
}

/** Runs every unfinished run of the plan in the sweep folder, keeping index.csv current. */
export async function runSweep(o: SweepRunOptions): Promise<SweepOutcome> {
  const release = await openSweepFolder(o.dir);
  const running = new Map<PlannedRun, StartedChild>();
  let rows: IndexRow[] = [];
  const atOnce = o.onForcedExit?.(() =>
    stopAtOnce({
      dir: o.dir,
      running,
      rows,
      plan: o.plan.runs,
      signal: o.stoppedBy?.() ?? 'SIGINT',
      release,
      now: o.now,
      stderr: o.stderr,
    }),
  );
  try {
    await writePlan(o.dir, o.plan);
    const resumes = new Set<string>();
    rows = await initialRows(o, resumes);
    const todo = o.plan.runs.filter((_, i) => rows[i]!.status === 'pending');
    const skipped = rows.length - todo.length;
    const index = indexWriter(o.dir, rows);
    await index.save();
    const say = sweepSay(o.stderr, o.level);
    if (skipped) say.info(`${skipped} of ${rows.length} runs already finished, skipped`);
    if (resumes.size) say.info(`${resumes.size} stopped runs resume from their checkpoints`);
    const { stopped } = await runQueue(todo, {
      parallel: o.parallel,
      interrupted: o.interrupted,
      stopSignal: o.stoppedBy,
      ...hooks(o, rows, index.save, todo.length, running, resumes, say),
    });
    await index.flushed();
    return { dir: o.dir, rows, skipped, stopped };
  } finally {
    atOnce?.();
    release();
  }
}
