/**
 * The coordinator's side of a finished job: its result (a run folder sent through Redis) written
 * into the sweep folder atomically, or its failure recorded, once; then the job and its files are
 * removed from Redis. Nothing a result says is trusted: the manifest is checked by transfer.ts, the
 * run id is the plan's own, and the folder lands only at runs/<id> of this sweep.
 */
import { appendFile, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { RUN_FILES, SWEEP_FILES } from '../output-files.js';
import { readRun } from '../run/read.js';
import { setAside } from '../sweep/folder.js';
import type { PlannedRun } from '../sweep/format.js';
import { type IndexRow, rowFromRun } from '../sweep/index-file.js';
import { firstIssue, ResultSchema, type RunResult } from './job.js';
import { deleteUpload, downloadFolder } from './transfer.js';

export interface Collected {
  row: IndexRow;
  /** Where the time went, for the log and the sweep's --json: queue wait, training, transfer. */
  timing: {
    id: string;
    worker?: string;
    waitMs?: number;
    trainMs?: number;
    uploadMs?: number;
    downloadMs?: number;
    bytes?: number;
  };
}

const failedRow = (run: PlannedRun, error: string): IndexRow => ({
  id: run.id,
  label: run.label,
  overrides: run.overrides,
  status: 'failed',
  dir: run.dir,
  error,
});

async function appendLog(dir: string, id: string, header: string, body = ''): Promise<void> {
  await appendFile(join(dir, SWEEP_FILES.logs, `${id}.log`), `--- ${header}\n${body}`);
}

/** A job that failed for good: its reason (BullMQ's, from the worker) becomes the row's error. */
export async function collectFailed(dir: string, run: PlannedRun, job: Job, now: Date): Promise<Collected> {
  const where = job.processedBy ? ` on ${job.processedBy}` : '';
  const error = `${job.failedReason || 'failed'}${where} (attempt ${job.attemptsMade} of ${job.opts.attempts ?? 1})`;
  await appendLog(dir, run.id, `${now.toISOString()} failed${where}: ${job.failedReason}`);
  await job.remove();
  return { row: failedRow(run, error), timing: { id: run.id, worker: job.processedBy } };
}

/** Downloads a completed job's run folder into runs/<id> (all or nothing) and its log into logs/<id>.log. */
export async function collectCompleted(
  dir: string,
  run: PlannedRun,
  job: Job,
  redis: Redis,
  now: Date,
  plannedCode: string,
): Promise<Collected> {
  const parsed = ResultSchema.safeParse(job.returnvalue);
  const waitMs = job.processedOn ? job.processedOn - job.timestamp : undefined;
  if (!parsed.success) {
    await job.remove();
    return {
      row: failedRow(run, `its result is not an mnist-run result: ${firstIssue(parsed.error)}`),
      timing: { id: run.id },
    };
  }
  const r: RunResult = parsed.data;
  const timing = {
    id: run.id,
    worker: r.worker,
    waitMs,
    trainMs: r.trainMs,
    uploadMs: r.uploadMs,
    bytes: r.manifest.gzipBytes,
  };
  const incoming = join(dir, SWEEP_FILES.runs, `.incoming-${run.id}`);
  await rm(incoming, { recursive: true, force: true });
  const t = Date.now();
  try {
    await downloadFolder(redis, r.manifest, incoming);
  } catch (err) {
    await rm(incoming, { recursive: true, force: true });
    await job.remove();
    return { row: failedRow(run, `its result from ${r.worker} is unusable: ${(err as Error).message}`), timing };
  }
  const downloadMs = Date.now() - t;
  const log = await readFile(join(incoming, 'worker.log'), 'utf8').catch(() => '');
  const header = `${now.toISOString()} trained on ${r.worker}${r.codeVersion === plannedCode ? '' : ` (its code is ${r.codeVersion}, the plan's ${plannedCode})`}: waited ${((waitMs ?? 0) / 1000).toFixed(1)} s, trained ${(r.trainMs / 1000).toFixed(1)} s, result ${(r.manifest.gzipBytes / 1024).toFixed(0)} KiB in ${r.uploadMs + downloadMs} ms`;
  let row: IndexRow;
  const runDir = join(incoming, 'run');
  if (r.validatedOnly) {
    row = failedRow(run, `checked only, not trained: ${r.worker} runs with --no-train`);
  } else if (!(await stat(join(runDir, RUN_FILES.meta)).catch(() => undefined))) {
    row = failedRow(run, `the result from ${r.worker} has no ${RUN_FILES.meta}`);
  } else {
    const target = join(dir, run.dir);
    await setAside(dir, target, run.id, now);
    await rename(runDir, target);
    row = rowFromRun(run, await readRun(target));
  }
  await appendLog(dir, run.id, header, log);
  await rm(incoming, { recursive: true, force: true });
  await deleteUpload(redis, r.manifest);
  await job.remove();
  return { row, timing: { ...timing, downloadMs } };
}
