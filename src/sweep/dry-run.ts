import { cpus } from 'node:os';
import type { BackendChoice } from '../backend/names.js';
import type { SelectedBackend } from '../backend/select.js';
import type { LoadedConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import type { Dataset } from '../data/dataset.js';
import { architectureKey, formatDuration, makespan, RUN_OVERHEAD_SECONDS, runSeconds, type Speed } from './estimate.js';
import type { SweepPlan } from './format.js';

/** Training batches timed per architecture, after one warm-up batch. */
const CALIBRATION_BATCHES = 8;

export interface DryRunRow {
  id: string;
  label: string;
  overrides: string[];
  params: number;
  seconds: number;
}

export interface DryRun {
  runs: DryRunRow[];
  backend: string;
  threads: number;
  parallel: number;
  totalSeconds: number;
  /** Per run, its process's start-up and fixed costs (see RUN_OVERHEAD_SECONDS), in every run's seconds. */
  overheadSeconds: number;
  calibration: string;
}

/** Times an architecture: a few training batches of `data` on the selected backend. */
export type Calibrate = (label: string, cfg: Config, data: Dataset, backend: SelectedBackend) => Promise<Speed>;

const timeBatches: Calibrate = async (label, cfg, data, backend) => {
  const { benchConfig } = await import('../bench/bench.js');
  return benchConfig(label, cfg, data, backend, { samples: CALIBRATION_BATCHES * cfg.train.batchSize, seconds: 10 });
};

/**
 * Per distinct architecture: its parameter count (the model compiled, never trained) and a few timed
 * training batches on the backend the runs would use, with the threads each run would get. Loads
 * tfjs: only --dry-run pays for it. `calibrate` is the timing, injectable so tests need not train.
 */
export async function dryRun(
  plan: SweepPlan,
  configs: Map<string, LoadedConfig>,
  o: { backend: BackendChoice; parallel: number; threads: number; calibrate?: Calibrate; overheadSeconds?: number },
): Promise<DryRun> {
  const calibrate = o.calibrate ?? timeBatches;
  const overheadSeconds = o.overheadSeconds ?? RUN_OVERHEAD_SECONDS;
  // The native backend reads these when it loads: calibrate with the threads each run will get.
  process.env.MNIST_RUN_THREADS = String(o.threads);
  const { selectBackend } = await import('../backend/select.js');
  const { loadDataset } = await import('../data/dataset.js');
  const { compileModel } = await import('../model/compile.js');
  const { summarize } = await import('../model/summary.js');
  const backend = await selectBackend(o.backend);
  // One read of each data folder (every read checksums the files), as large as its largest calibration.
  const samplesFor = (l: LoadedConfig) => (CALIBRATION_BATCHES + 1) * l.config.train.batchSize + 1;
  const datasets = new Map<string, Promise<Dataset>>();
  const dataFor = (l: LoadedConfig) => {
    const key = String(l.dataPath);
    if (!datasets.has(key)) {
      const sizes = [...configs.values()].filter((c) => String(c.dataPath) === key).map(samplesFor);
      datasets.set(key, loadDataset({ path: l.dataPath, trainSize: Math.max(...sizes), testSize: 1 }));
    }
    return datasets.get(key)!;
  };
  const measured = new Map<string, Speed & { params: number }>();
  const runs: DryRunRow[] = [];
  for (const run of plan.runs) {
    const loaded = configs.get(run.id)!;
    const cfg = loaded.config;
    const key = architectureKey(cfg) + String(loaded.dataPath);
    if (!measured.has(key)) {
      const data = await dataFor(loaded);
      const model = compileModel(cfg, [data.rows, data.cols], cfg.seed);
      const params = summarize(model).totalParams;
      model.dispose();
      const { trainSamplesPerSecond, inferSamplesPerSecond } = await calibrate(run.label, cfg, data, backend);
      measured.set(key, { trainSamplesPerSecond, inferSamplesPerSecond, params });
    }
    const m = measured.get(key)!;
    // Unset sizes mean the whole data set; MNIST's 60,000 / 10,000 are assumed for the estimate.
    const sizes = { train: cfg.data.trainSize ?? 60_000, test: cfg.data.testSize ?? 10_000 };
    runs.push({
      id: run.id,
      label: run.label,
      overrides: run.overrides,
      params: m.params,
      seconds: runSeconds(cfg, sizes, m) + overheadSeconds,
    });
  }
  const totalSeconds = makespan(
    runs.map((r) => r.seconds),
    o.parallel,
  );
  const calibration =
    `${measured.size} architecture(s) timed for up to ${CALIBRATION_BATCHES} batches (10 s) each ` +
    `on ${backend.name} (${backend.device}), ${o.threads} thread(s) per run, ${cpus().length} cores`;
  return {
    runs,
    backend: backend.name,
    threads: o.threads,
    parallel: o.parallel,
    totalSeconds,
    overheadSeconds,
    calibration,
  };
}

export function formatDryRun(plan: SweepPlan, d: DryRun): string {
  const lines = d.runs.map(
    (r, i) =>
      `${String(i + 1).padStart(3)}  ${r.id}  ${r.params.toLocaleString('en-US').padStart(11)}  ${formatDuration(r.seconds).padStart(7)}  ${r.overrides.join(' ')}`,
  );
  return [
    `${plan.name}: ${d.runs.length} runs from ${plan.baseConfig}`,
    ...plan.duplicates.map((x) => `  (${x.label} resolves to the same config as ${x.sameAs}: run once)`),
    '',
    `  #  id                     params     est.  overrides`,
    ...lines,
    '',
    `estimated total: ${formatDuration(d.totalSeconds)} with --parallel ${d.parallel} (upper bound where early stopping is on)`,
    `calibration: ${d.calibration}; each run adds ${d.overheadSeconds.toFixed(1)} s for its process (start-up, data, results)`,
  ].join('\n');
}
