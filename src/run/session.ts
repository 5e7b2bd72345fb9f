/**
 * Training in a run folder that exists, for a new run and a resumed one alike: the log, the
 * heartbeat, a checkpoint after each epoch, the results, and a final status that says truthfully
 * how the run ended (completed, interrupted, diverged or failed).
 */
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { makeAugmenter } from '../augment/transform.js';
import type { SelectedBackend } from '../backend/select.js';
import type { LoadedConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import type { Dataset } from '../data/dataset.js';
import { DivergedError, InterruptedError, isUserError } from '../errors.js';
import { createLogger, type Logger } from '../log.js';
import { makeInference } from '../model/inference.js';
import { saveModelDir } from '../model/io.js';
import { summarize } from '../model/summary.js';
import { RUN_FILES } from '../output-files.js';
import { trainingCallbacks } from '../train/callbacks/index.js';
import { trainModel } from '../train/loop.js';
import { optimizerState, restoreOptimizer } from '../train/optimizer-state.js';
import { splitValidation } from '../train/validation.js';
import { deriveSeed, Mulberry32, withMathRandom } from '../util/random.js';
import { type Checkpoint, disposeCheckpoint, removeCheckpoint, writeCheckpoint } from './checkpoint.js';
import { metricsLine, type RunMeta, type RunSummary } from './format.js';
import { type MetaFile, StatusNotWrittenError } from './meta.js';
import { writeResults } from './write-results.js';

/** The outside world, built once at the CLI edge; tests pass their own. */
export interface RunEnv {
  cwd: string;
  argv: string[];
  stderr: NodeJS.WriteStream;
  now: () => Date;
  interrupted: () => boolean;
  /** Why the run was stopped when no signal did it (the sweep that started it is gone). */
  stopReason?: () => string | undefined;
  /** Registers a synchronous last act for a process ended at once (a second Ctrl-C); returns the undo. */
  onForcedExit?: (hook: () => void) => () => void;
}

export interface RunResult {
  runDir: string;
  summary: RunSummary;
}

/** A run ready to train in its folder; `resume` when it goes on from a checkpoint. */
export interface Session {
  loaded: LoadedConfig;
  dataset: Dataset;
  backend: SelectedBackend;
  model: tf.LayersModel;
  runDir: string;
  meta: MetaFile;
  /** Set by resume: where the run stopped, if it got as far as a checkpoint. */
  resume?: Checkpoint;
  resumed?: boolean;
}

/** A resumed run with no checkpoint yet: epoch 1 again, from the same initial weights. */
const FROM_THE_START = { epoch: 0, stopped: false, history: [], callbacks: {} };

export function releaseModel(model: tf.LayersModel): void {
  model.dispose();
  tf.disposeVariables();
}

/** What to change when training diverged, from the config that diverged. */
export function divergenceAdvice(cfg: Config): string {
  const tips = [`lower optimizer.learningRate (now ${cfg.optimizer.learningRate})`];
  if (cfg.loss === 'meanSquaredError' || cfg.loss === 'meanAbsoluteError')
    tips.push('use categoricalCrossentropy with a softmax last layer');
  const constant = cfg.model.layers.findIndex((l) =>
    Object.entries(l).some(([k, v]) => k.endsWith('Initializer') && (v as { type?: string })?.type === 'constant'),
  );
  if (constant >= 0) tips.push(`use a smaller or random initializer at model.layers[${constant}]`);
  else tips.push('use smaller initial weights (kernelInitializer)');
  return `To fix: ${tips.join(', or ')}. No results were written from the diverged model`;
}

const statusOf = (err: unknown, env: RunEnv): RunMeta['status'] =>
  err instanceof DivergedError ? 'diverged' : env.interrupted() ? 'interrupted' : 'failed';

/** Trains the session's run to its end and leaves a complete, truthful run folder. */
export async function trainInFolder(s: Session, env: RunEnv): Promise<RunResult> {
  const { runDir, backend, loaded } = s;
  const log = createLogger({ terminal: env.stderr, file: join(runDir, RUN_FILES.log), now: () => env.now().getTime() });
  const where = { runDir, backend: backend.name, device: backend.device, threads: backend.threads };
  const adapter = backend.adapter && { adapter: backend.adapter };
  if (s.resume) log.info({ ...where, ...adapter, fromEpoch: s.resume.train.epoch }, 'run resumed');
  else log.info({ ...where, ...adapter, skipped: backend.skipped }, 'run started');
  for (const w of loaded.warnings) log.warn({ path: w.path }, w.message);
  // Quit at once by a second signal: the run still says truthfully how it ended.
  const forced = env.onForcedExit?.(() =>
    s.meta.finishSync('interrupted', 'stopped at once by a second signal, before the epoch ended'),
  );
  s.meta.startHeartbeat((err) => log.warn({ error: err.message }, 'cannot write the heartbeat to meta.json'));
  try {
    let outcome: { summary: RunSummary } | { err: unknown };
    try {
      outcome = { summary: await train(s, log, env) };
    } catch (err) {
      outcome = { err };
    }
    if ('summary' in outcome) {
      await s.meta.finish('completed');
      await removeCheckpoint(runDir); // a completed run needs none, and a sweep's would add up
      log.info({ testAccuracy: outcome.summary.testAccuracy, testLoss: outcome.summary.testLoss }, 'run completed');
      return { runDir, summary: outcome.summary };
    }
    let err = outcome.err;
    if (err instanceof DivergedError) err = new DivergedError(`${err.message}. ${divergenceAdvice(loaded.config)}`);
    const reason = err instanceof InterruptedError && env.stopReason?.();
    if (reason) err = new InterruptedError(`${reason}; stopped after the batch it was training`);
    const status = statusOf(err, env);
    const message = err instanceof Error ? err.message : String(err);
    log.error({ error: message }, `run ${status}`);
    // The stack goes to run.log only (debug level): a user reads the message, a bug report gets the stack.
    if (!isUserError(err) && err instanceof Error) log.debug({ stack: err.stack }, 'stack trace');
    try {
      await s.meta.finish(status, message);
    } catch (unwritten) {
      throw new StatusNotWrittenError(`${message}\n${(unwritten as Error).message}`);
    }
    throw err;
  } finally {
    forced?.();
    log.flush();
  }
}

async function train(s: Session, log: Logger, env: RunEnv): Promise<RunSummary> {
  const { loaded, dataset, model, runDir } = s;
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
  // Dropout's masks come from Math.random: this stream, set back to where the checkpoint left it.
  const dropout = new Mulberry32(s.resume?.random.dropout ?? deriveSeed(cfg.seed, 'dropout'));
  if (s.resume) {
    model.setWeights(s.resume.weights);
    restoreOptimizer(model.optimizer, s.resume.optimizer);
    disposeCheckpoint(s.resume); // the variables hold their own references now
  }
  try {
    const history = await withMathRandom(dropout, () =>
      trainModel({
        ...shared,
        model,
        onFeed: (kind) => {
          log.info({ trainStep: kind }, 'training step');
          log.info({ inference: makeInference(model, sampleShape).kind }, 'evaluation and predictions');
        },
        train,
        validation,
        epochs: cfg.train.epochs,
        seed: cfg.seed,
        callbacks: trainingCallbacks(cfg, model, { runDir, line: metricsLine }, log, env.stderr),
        transformBatch: cfg.augment ? makeAugmenter(cfg.augment, cfg.seed, dataset.rows, dataset.cols) : undefined,
        interrupted: env.interrupted,
        resume: s.resume?.train ?? (s.resumed ? FROM_THE_START : undefined),
        checkpoint: (state) =>
          writeCheckpoint(runDir, {
            train: state,
            weights: model.getWeights(),
            optimizer: optimizerState(model.optimizer),
            random: { dropout: dropout.state },
          }),
      }),
    ).catch(async (err: unknown) => {
      if (err instanceof InterruptedError) await keepLatestModel(model, runDir, log);
      throw err;
    });
    await saveModelDir(model, join(runDir, RUN_FILES.modelDir));
    return await writeResults({
      runDir,
      model,
      test: dataset.test,
      history,
      shared,
      params: summarize(model),
      backend: s.backend.name,
    });
  } finally {
    releaseModel(model);
  }
}

/** An interrupted run keeps the model it had when it stopped; resuming goes on from the checkpoint. */
async function keepLatestModel(model: tf.LayersModel, runDir: string, log: Logger) {
  try {
    await saveModelDir(model, join(runDir, RUN_FILES.modelDir));
    log.info({ model: RUN_FILES.modelDir }, 'saved the model as it was when stopped');
  } catch (err) {
    log.warn({ error: (err as Error).message }, 'could not save the model of the interrupted run');
  }
}
