/**
 * `mnist-run worker`: takes runs off the queue and trains each in a child process, exactly as a
 * local sweep's `--parallel` does, then sends the finished run folder back through Redis. BullMQ
 * does the hard parts: a lock per job that this worker keeps renewing, so a job whose worker died
 * goes back to the queue (stalled-job recovery); retries with backoff for the machinery's failures.
 * A run's own failure (its data is not here, its config fails the checks, it diverged) is final:
 * thrown as UnrecoverableError, or returned as a run folder that says so.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DelayedError, type Job, UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { parseDocument } from 'yaml';
import { ConfigError } from '../errors.js';
import type { Logger } from '../log.js';
import { RUN_FILES } from '../output-files.js';
import { readRun } from '../run/read.js';
import { type ChildSpec, lastError, type StartedChild, startChild } from '../sweep/child.js';
import { type DataFolder, dataFolders, matchData } from './data-roots.js';
import {
  contentProblem,
  firstIssue,
  type JobData,
  JobDataSchema,
  QUEUE_NAME,
  QUEUE_PREFIX,
  RunIdSchema,
  type RunResult,
} from './job.js';
import { uploadFolder } from './transfer.js';
import { connectionOptions, type RedisAddress, redact } from './url.js';

export interface WorkerOptions {
  address: RedisAddress;
  name: string;
  concurrency: number;
  threads: number;
  backend: string;
  /** Absolute: every job's files live in a folder of its own under it, and nowhere else. */
  workDir: string;
  dataRoots: string[];
  cwd: string;
  /** Check each job and return without training (the queue's own cost, measured). */
  noTrain: boolean;
  codeVersion: string;
  log: Logger;
  /** One status record for supervisors (`--json`), or nothing. */
  status: (event: string, fields?: Record<string, unknown>) => void;
  /** How long a job's lock lasts unrenewed, so how soon a dead worker's job is taken back (ms). */
  lockMs: number;
  start?: (c: ChildSpec) => Promise<StartedChild>;
  cliEntry?: string;
}

/** What a running worker offers its command: stop taking jobs, abandon the running ones, wait. */
export interface RunningWorker {
  stop: () => void;
  abandon: () => void;
  closed: Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms).unref());

const final = (s: string | undefined) => s === 'completed' || s === 'failed' || s === 'diverged';

/** The job's config, made this worker's: data.path becomes the local folder with the same files (or goes, for the bundled MNIST). */
function localConfig(text: string, data: DataFolder): string {
  const doc = parseDocument(text);
  if (doc.errors.length) throw new ConfigError(doc.errors[0]!.message);
  if (data.path) doc.setIn(['data', 'path'], data.path);
  else doc.deleteIn(['data', 'path']);
  return doc.toString();
}

/** Checks a job as it came off the wire; throws UnrecoverableError with the reason when it is not one to run. */
function checkJob(job: Job, folders: DataFolder[]): { data: JobData; folder: DataFolder } {
  // The id first: it names this job's folder under the work folder.
  if (!RunIdSchema.safeParse(job.id).success) throw new UnrecoverableError(`job id ${job.id} is not a run id`);
  const parsed = JobDataSchema.safeParse(job.data);
  if (!parsed.success) throw new UnrecoverableError(`not an mnist-run job: ${firstIssue(parsed.error)}`);
  const problem = contentProblem(job.id!, parsed.data);
  if (problem) throw new UnrecoverableError(problem);
  const folder = matchData(folders, parsed.data.dataSha256);
  if (!folder)
    throw new UnrecoverableError(
      `no data folder this worker may read has the run's data (sha256 ${parsed.data.dataSha256.map((s) => s.slice(0, 12)).join(', ')}); it has ${folders.map((f) => f.shown).join(', ') || 'none'}: start the worker with --data-root pointing at a copy of the data`,
    );
  return { data: parsed.data, folder };
}

/** Reports the epoch a run is at, from its metrics.jsonl, every few seconds: the coordinator shows it. */
function reportEpochs(job: Job, runDir: string, epochs: number, worker: string): () => void {
  let last = -1;
  const timer = setInterval(async () => {
    const text = await readFile(join(runDir, RUN_FILES.metrics), 'utf8').catch(() => '');
    const epoch = text.split('\n').filter(Boolean).length;
    if (epoch === last) return;
    last = epoch;
    await job.updateProgress({ worker, epoch, epochs }).catch(() => undefined);
  }, 2000);
  timer.unref();
  return () => clearInterval(timer);
}

interface Shared {
  o: WorkerOptions;
  redis: Redis;
  folders: DataFolder[];
  running: Map<string, StartedChild>;
  abandoning: () => boolean;
  /** Code versions of the sweeps whose jobs came here planned by other code: warned of once each. */
  otherCode: Set<string>;
}

/** Trains one job in its own folder and uploads the result; what BullMQ should do with it is in what it throws. */
async function processJob(s: Shared, job: Job, token: string | undefined): Promise<RunResult> {
  const { o } = s;
  const { data, folder } = checkJob(job, s.folders);
  const id = job.id!;
  const attempt = job.attemptsMade + 1;
  if (data.codeVersion !== o.codeVersion && !s.otherCode.has(data.codeVersion)) {
    s.otherCode.add(data.codeVersion); // said once per version, not once per run
    o.log.warn({ job: id, planned: data.codeVersion, here: o.codeVersion }, 'the sweep was planned by other code');
  }
  const dir = join(o.workDir, id);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const configFile = join(dir, 'job.yaml');
  let epochs: number;
  try {
    await writeFile(configFile, localConfig(data.config, folder));
    const { loadConfig } = await import('../config/load.js');
    epochs = (await loadConfig(configFile, [], { cwd: dir })).config.train.epochs;
  } catch (err) {
    if (err instanceof ConfigError)
      throw new UnrecoverableError(`its config fails this worker's checks: ${err.message}`);
    throw err;
  }
  const begin = Date.now();
  let code: number | null = 0;
  if (!o.noTrain) {
    o.status('started', { job: id, label: data.label, attempt });
    o.log.info({ job: id, label: data.label, attempt, data: folder.shown }, 'run started');
    const child = await (o.start ?? startChild)({
      baseConfig: configFile,
      overrides: [],
      runDir: join(dir, 'run'),
      backend: o.backend,
      threads: o.threads,
      logFile: join(dir, 'worker.log'),
      cliEntry: o.cliEntry,
    });
    s.running.set(id, child);
    o.status('child', { job: id, pid: child.pid });
    const stopReporting = reportEpochs(job, join(dir, 'run'), epochs, o.name);
    code = await child.done.catch(() => null);
    stopReporting();
    s.running.delete(id);
  }
  const trainMs = Date.now() - begin;
  if (s.abandoning()) {
    // Back to the queue at once, no attempt spent: the run did nothing wrong.
    await job.moveToDelayed(Date.now(), token);
    o.status('abandoned', { job: id });
    o.log.warn({ job: id }, 'run abandoned: back in the queue for another worker');
    throw new DelayedError();
  }
  const rec = o.noTrain ? undefined : await readRun(join(dir, 'run'));
  if (!o.noTrain && !(final(rec?.meta?.status) && (code === 0 || code === 1))) {
    const why = (await lastError(join(dir, 'worker.log'))) ?? 'no output';
    // Exit 1 without a run folder that says why: the run's own fault (a user error), not worth a retry.
    if (code === 1 && !rec?.meta) throw new UnrecoverableError(why);
    throw new Error(`the training process ${code === null ? 'was killed' : `exited with ${code}`}: ${why}`);
  }
  const up = Date.now();
  const manifest = await uploadFolder(s.redis, dir, `${id}.${randomUUID().slice(0, 8)}`, {
    skip: (rel) => rel === 'job.yaml' || rel.endsWith(RUN_FILES.checkpoint) || rel.endsWith(RUN_FILES.lock),
  });
  const uploadMs = Date.now() - up;
  await rm(dir, { recursive: true, force: true });
  const status = o.noTrain ? 'validated' : rec?.meta?.status;
  o.status('finished', { job: id, status, trainMs, uploadMs, bytes: manifest.gzipBytes });
  o.log.info({ job: id, status, seconds: trainMs / 1000, uploadMs, kib: manifest.gzipBytes >> 10 }, 'run finished');
  return {
    v: 1,
    worker: o.name,
    codeVersion: o.codeVersion,
    validatedOnly: o.noTrain,
    manifest,
    trainMs,
    uploadMs,
  };
}

/** Starts taking jobs. `stop` lets the running ones finish; `abandon` stops them and puts them back. */
export async function startWorker(o: WorkerOptions): Promise<RunningWorker> {
  const folders = await dataFolders(o.dataRoots, o.cwd);
  await mkdir(o.workDir, { recursive: true });
  const connection = connectionOptions(o.address);
  const redis = new Redis(connection);
  let lost = false;
  let closing = false;
  const onError = (err?: Error) => {
    if (lost) return;
    lost = true;
    const error = redact(err?.message ?? 'connection closed', o.address);
    o.log.warn({ error }, `Redis at ${o.address.shown} unreachable; reconnecting`);
  };
  redis.on('error', onError);
  redis.on('close', () => closing || onError());
  redis.on('ready', () => {
    if (lost) o.log.info(`Redis at ${o.address.shown} back`);
    lost = false;
  });
  let abandoning = false;
  const running = new Map<string, StartedChild>();
  const shared: Shared = { o, redis, folders, running, abandoning: () => abandoning, otherCode: new Set() };
  let busy = 0; // jobs being processed, uploads included
  const worker = new Worker(
    QUEUE_NAME,
    (job, token) => {
      busy++;
      return processJob(shared, job, token).finally(() => busy--);
    },
    {
      connection,
      prefix: QUEUE_PREFIX,
      concurrency: o.concurrency,
      name: o.name,
      lockDuration: o.lockMs,
      stalledInterval: o.lockMs,
      maxStalledCount: 2,
    },
  );
  worker.on('error', onError);
  worker.on('failed', (job, err) => {
    if (!job || err instanceof DelayedError || err.name === 'DelayedError') return;
    const retry = !(err instanceof UnrecoverableError) && job.attemptsMade < (job.opts.attempts ?? 1);
    o.status('failed', { job: job.id, error: err.message, retry });
    o.log.error({ job: job.id, retry }, `run failed: ${err.message}`);
  });
  await worker.waitUntilReady();
  o.status('ready', { worker: o.name, queue: o.address.shown, concurrency: o.concurrency, threads: o.threads });
  o.log.info(
    { queue: o.address.shown, concurrency: o.concurrency, threads: o.threads, data: folders.map((f) => f.shown) },
    `worker ${o.name} ready`,
  );
  let closedNow!: () => void;
  const closed = new Promise<void>((r) => (closedNow = r));
  const stop = () => {
    if (closing) return;
    closing = true;
    const graceful = worker.close().then(() => redis.quit());
    // With Redis gone, close() waits for it forever: once no run is left here, give it 5 s, then go.
    const idle = (async () => {
      while (busy) await sleep(200);
      await sleep(5000);
      o.log.warn(`Redis at ${o.address.shown} did not answer; stopping without it`);
      worker.close(true).catch(() => undefined); // not awaited: without Redis it waits too
    })();
    Promise.race([graceful, idle])
      .catch(() => undefined)
      .finally(() => {
        redis.disconnect();
        closedNow();
      });
  };
  return {
    stop,
    abandon: () => {
      abandoning = true;
      for (const child of running.values()) child.interrupt('SIGTERM');
      stop();
    },
    closed,
  };
}
