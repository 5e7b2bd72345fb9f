import { copyFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { makeAugmenter } from '../augment/transform.js';
import { type BackendChoice, type SelectedBackend, selectBackend } from '../backend/select.js';
import { type LoadedConfig, loadConfig } from '../config/load.js';
import { type Dataset, loadDataset, probeDataset } from '../data/dataset.js';
import { isUserError } from '../errors.js';
import { createLogger, type Logger } from '../log.js';
import { compileModel } from '../model/compile.js';
import { saveModelDir } from '../model/io.js';
import { summarize } from '../model/summary.js';
import { RUN_FILES } from '../output-files.js';
import { trainingCallbacks } from '../train/callbacks/index.js';
import { checkFitsDevice, trainModel } from '../train/loop.js';
import { splitValidation } from '../train/validation.js';
import { writeFileAtomic } from '../util/fs.js';
import { deriveSeed, withSeededMathRandom } from '../util/random.js';
import { claimRunDir, createRunDir } from './folder.js';
import { FORMAT_VERSION, metricsLine, type RunMeta, type RunSummary } from './format.js';
import { versions, writeMeta, writeMetaSync } from './meta.js';
import { gitCommit } from './version.js';
import { writeResults } from './write-results.js';

/** The outside world, built once at the CLI edge; tests pass their own. */
export interface RunEnv {
  cwd: string;
  argv: string[];
  stderr: NodeJS.WriteStream;
  now: () => Date;
  interrupted: () => boolean;
  /** Registers a synchronous last act for a process ended at once (a second Ctrl-C); returns the undo. */
  onForcedExit?: (hook: () => void) => () => void;
}

export interface RunOptions {
  file: string;
  overrides: string[];
  backend: BackendChoice;
  outDir?: string;
  /** Use exactly this (new or empty) folder instead of a timestamped one under outDir: for sweeps. */
  runDir?: string;
}

export interface RunResult {
  runDir: string;
  summary: RunSummary;
}

/** Everything that can fail before a run folder exists: a run that cannot start writes nothing. */
async function prepare(o: RunOptions, env: RunEnv) {
  // Checked against the data folder's image size and classes, and the machine's memory, before any tfjs.
  const loaded = await loadConfig(resolve(env.cwd, o.file), o.overrides, { probeData: probeDataset });
  const { data } = loaded.config;
  const dataset = await loadDataset({ path: loaded.dataPath, trainSize: data.trainSize, testSize: data.testSize });
  const backend = await selectBackend(o.backend);
  const cfg = loaded.config;
  const model = compileModel(cfg, [dataset.rows, dataset.cols], cfg.seed);
  try {
    checkFitsDevice(model, cfg.train.batchSize); // a GPU too small for the model: said before any folder exists
  } catch (err) {
    releaseModel(model);
    throw err;
  }
  return { loaded, dataset, backend, model };
}

function releaseModel(model: tf.LayersModel) {
  model.dispose();
  tf.disposeVariables();
}

function initialMeta(
  loaded: LoadedConfig,
  dataset: Dataset,
  backend: SelectedBackend,
  env: RunEnv,
  commit: string | null,
): RunMeta {
  const { name, seed } = loaded.config;
  return {
    formatVersion: FORMAT_VERSION,
    status: 'running',
    argv: env.argv,
    name: name ?? basename(loaded.file),
    configFile: loaded.file,
    versions: versions(),
    backend: {
      name: backend.name,
      tfName: backend.tfName,
      device: backend.device,
      threads: backend.threads,
      ...(backend.adapter && { adapter: backend.adapter }),
    },
    seed,
    data: {
      source: dataset.source,
      files: dataset.files,
      trainSamples: dataset.train.count,
      testSamples: dataset.test.count,
    },
    gitCommit: commit,
    start: env.now().toISOString(),
    end: null,
  };
}

/** Train one experiment end to end and leave a complete run folder behind. */
export async function runExperiment(o: RunOptions, env: RunEnv): Promise<RunResult> {
  const { loaded, dataset, backend, model } = await prepare(o, env);
  const cfg = loaded.config;
  const runDir = o.runDir
    ? await claimRunDir(resolve(env.cwd, o.runDir))
    : await createRunDir(resolve(env.cwd, o.outDir ?? 'runs'), cfg.name ?? 'run', env.now());
  const meta = initialMeta(loaded, dataset, backend, env, await gitCommit());
  await copyFile(loaded.file, join(runDir, RUN_FILES.config));
  await writeFileAtomic(join(runDir, RUN_FILES.resolvedConfig), loaded.resolvedYaml);
  await writeMeta(runDir, meta);
  const log = createLogger({ terminal: env.stderr, file: join(runDir, RUN_FILES.log), now: () => env.now().getTime() });
  log.info(
    {
      runDir,
      backend: backend.name,
      device: backend.device,
      threads: backend.threads,
      ...(backend.adapter && { adapter: backend.adapter }),
      skipped: backend.skipped,
    },
    'run started',
  );
  for (const w of loaded.warnings) log.warn({ path: w.path }, w.message);
  // Quit at once by a second signal: the run still says truthfully how it ended.
  const forced = env.onForcedExit?.(() =>
    writeMetaSync(runDir, {
      ...meta,
      status: 'interrupted',
      end: env.now().toISOString(),
      error: 'stopped at once by a second signal, before the epoch ended',
    }),
  );
  try {
    const summary = await withSeededMathRandom(deriveSeed(cfg.seed, 'dropout'), () =>
      train(loaded, dataset, model, backend, runDir, log, env),
    );
    await finish(runDir, meta, 'completed', env);
    log.info({ testAccuracy: summary.testAccuracy, testLoss: summary.testLoss }, 'run completed');
    return { runDir, summary };
  } catch (err) {
    const interrupted = env.interrupted();
    const message = err instanceof Error ? err.message : String(err);
    await finish(runDir, { ...meta, error: message }, interrupted ? 'interrupted' : 'failed', env);
    log.error({ error: message }, interrupted ? 'run interrupted' : 'run failed');
    // The stack goes to run.log only (debug level): a user reads the message, a bug report gets the stack.
    if (!isUserError(err) && err instanceof Error) log.debug({ stack: err.stack }, 'stack trace');
    throw err;
  } finally {
    forced?.();
    log.flush();
  }
}

async function finish(runDir: string, meta: RunMeta, status: RunMeta['status'], env: RunEnv) {
  await writeMeta(runDir, { ...meta, status, end: env.now().toISOString() });
}

async function train(
  loaded: LoadedConfig,
  dataset: Dataset,
  model: tf.LayersModel,
  backend: SelectedBackend,
  runDir: string,
  log: Logger,
  env: RunEnv,
) {
  const cfg = loaded.config;
  const sampleShape = [dataset.rows, dataset.cols];
  const { train, validation } = splitValidation(dataset, cfg.train.validation);
  const shared = {
    sampleShape,
    numClasses: dataset.numClasses,
    labelFormat: cfg.loss === 'sparseCategoricalCrossentropy' ? ('sparse' as const) : ('oneHot' as const),
    metricNames: [...cfg.metrics],
    batchSize: cfg.train.batchSize,
  };
  try {
    const history = await trainModel({
      ...shared,
      model,
      onFeed: (kind) => log.info({ trainStep: kind }, 'training step'),
      train,
      validation,
      epochs: cfg.train.epochs,
      seed: cfg.seed,
      callbacks: trainingCallbacks(cfg, model, { runDir, line: metricsLine }, log, env.stderr),
      transformBatch: cfg.augment ? makeAugmenter(cfg.augment, cfg.seed, dataset.rows, dataset.cols) : undefined,
      interrupted: env.interrupted,
    });
    await saveModelDir(model, join(runDir, RUN_FILES.modelDir));
    return await writeResults({
      runDir,
      model,
      test: dataset.test,
      history,
      shared,
      params: summarize(model),
      backend: backend.name,
    });
  } finally {
    releaseModel(model);
  }
}
