/**
 * Every file name mnist-run writes, in one place: a run folder's, its saved model's and a sweep
 * folder's. Machine-readable files come first; anything for people (tables, reports) is derived
 * from them, so old runs stay readable by newer tools. A leaf module: it imports nothing, so every
 * layer (model, train, run, sweep, compare, report) can take its names from here.
 */

/** Names inside a run folder. */
export const RUN_FILES = {
  config: 'config.yaml', // the config file exactly as written
  resolvedConfig: 'config.resolved.yaml', // defaults filled, overrides applied
  meta: 'meta.json', // argv, versions, backend, device, seed, data checksums, git commit, times, status
  metrics: 'metrics.jsonl', // one JSON line per epoch, appended as training goes
  history: 'history.csv', // the same per-epoch metrics as CSV
  summary: 'summary.json', // test loss and accuracy, epoch times, samples/s
  predictions: 'predictions.csv', // Actual,Predictions: one row per test image
  probabilities: 'test_probabilities.csv', // actual,predicted and each class's probability, per test image
  confusion: 'confusion_matrix.csv', // rows = actual class, columns = predicted class
  modelDir: 'model', // model.json + weights.bin, tfjs layers format
  log: 'run.log', // pino NDJSON
  checkpoint: 'checkpoint.bin', // weights, optimizer, epoch, random streams, callbacks: for resume; gone once completed
  lock: '.lock', // pid of the process resuming the run
} as const;

/** Names inside a run folder's model/ folder (tfjs layers format). */
export const MODEL_FILES = { topology: 'model.json', weights: 'weights.bin' } as const;

/** Names inside a sweep folder. */
export const SWEEP_FILES = {
  sweep: 'sweep.yaml', // the sweep file as written
  plan: 'plan.json', // every planned run: id, label, overrides, folder
  index: 'index.csv', // one row per run, rewritten as runs finish
  runs: 'runs', // run folders, named by content id
  logs: 'logs', // each run's stderr, as <id>.log
  previous: 'previous', // earlier unfinished attempts, moved aside rather than deleted
  lock: '.lock', // pid and host of the sweep process working here (src/util/lock.ts)
} as const;
