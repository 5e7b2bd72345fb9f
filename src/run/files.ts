/**
 * Every file a run folder holds, in one place. Machine-readable files come first; anything for
 * people (tables, reports) is derived from them, so old runs stay readable by newer tools.
 */
export const RUN_FILES = {
  config: 'config.yaml', // the config file exactly as written
  resolvedConfig: 'config.resolved.yaml', // defaults filled, overrides applied
  meta: 'meta.json', // argv, versions, backend, device, seed, data checksums, git commit, times, status
  metrics: 'metrics.jsonl', // one JSON line per epoch, appended as training goes
  history: 'history.csv', // the same per-epoch metrics as CSV
  summary: 'summary.json', // test loss and accuracy, epoch times, samples/s
  predictions: 'predictions.csv', // Actual,Predictions: one row per test image
  confusion: 'confusion_matrix.csv', // rows = actual class, columns = predicted class
  modelDir: 'model', // model.json + weights.bin, tfjs layers format
  log: 'run.log', // pino NDJSON
} as const;

export const MODEL_FILES = { topology: 'model.json', weights: 'weights.bin' } as const;

export type RunStatus = 'running' | 'completed' | 'failed' | 'interrupted';
