import * as tf from '@tensorflow/tfjs';
import type { Config } from '../config/schema.js';
import type { Dataset } from '../data/dataset.js';
import { compileModel } from '../model/compile.js';
import { makeInference } from '../model/inference.js';
import { identityOrder } from '../train/batches.js';
import { inferenceBatchSize } from '../train/evaluate.js';
import { makeBatchFeed } from '../train/feed.js';

export interface BenchCell {
  backend: string;
  config: string;
  /** What it computed on: the CPU, or the GPU adapter. */
  device: string;
  /** How batches were fed and trained, as the run log says it. */
  feed: string;
  /** Which forward pass inference took, in words. */
  inference: string;
  batchSize: number;
  threads: number;
  trainSamples: number;
  trainSamplesPerSecond: number;
  inferSamples: number;
  inferSamplesPerSecond: number;
}

export interface BenchLimits {
  samples: number; // train (and infer) at most this many samples per cell
  seconds: number; // …or stop after this long, whichever comes first (the cpu backend is very slow on CNNs)
}

/**
 * Warm-up before timing: kernels compile, optimizer slots appear, V8 optimises the batch
 * assembly. Up to 50 steps or half a second, whichever ends first, and always at least one (a
 * CNN step on the cpu backend takes a minute).
 */
const WARM_UP = { steps: 50, seconds: 0.5 };

async function timed(limit: BenchLimits, batchSize: number, step: (start: number, size: number) => Promise<void>) {
  const w0 = performance.now();
  for (let i = 0; i < WARM_UP.steps && (i === 0 || performance.now() - w0 < WARM_UP.seconds * 1000); i++)
    await step(i * batchSize, batchSize);
  let done = 0;
  const t0 = performance.now();
  while (done < limit.samples && (done === 0 || performance.now() - t0 < limit.seconds * 1000)) {
    const size = Math.min(batchSize, limit.samples - done);
    await step(done, size);
    done += size;
  }
  return { samples: done, perSecond: done / ((performance.now() - t0) / 1000) };
}

/** Training and inference throughput of one config on the active backend, on the first samples of the data. */
export async function benchConfig(
  name: string,
  cfg: Config,
  data: Dataset,
  backend: { name: string; threads: number; device: string },
  limit: BenchLimits,
): Promise<BenchCell> {
  const shape = [data.rows, data.cols];
  const per = data.rows * data.cols;
  const n = data.train.count;
  const order = identityOrder(n);
  const model = compileModel(cfg, shape, cfg.seed);
  const batchSize = cfg.train.batchSize;
  const labelFormat = cfg.loss === 'sparseCategoricalCrossentropy' ? 'sparse' : 'oneHot';
  // The feed training uses: on a GPU the set is uploaded once and batches gathered there.
  const feed = makeBatchFeed(model, data.train, {
    sampleShape: shape,
    numClasses: data.numClasses,
    labelFormat,
    metricNames: cfg.metrics,
  });
  try {
    const train = await timed(limit, batchSize, async (start, size) => {
      const from = start % Math.max(1, n - size);
      await feed.train(order, from, from + size, 1, 0);
    });
    // The forward pass evaluation and predictions use, at their batch size.
    const inference = makeInference(model, shape);
    const infer = await timed(limit, inferenceBatchSize(model, batchSize), async (start, size) => {
      const from = start % Math.max(1, n - size);
      const out = inference.outputs(data.train.images.subarray(from * per, (from + size) * per), size);
      await out.data(); // reads back, so the time includes the work
      out.dispose();
    });
    return {
      backend: backend.name,
      config: name,
      device: backend.device,
      feed: feed.kind,
      inference: inference.kind,
      batchSize,
      threads: backend.threads,
      trainSamples: train.samples,
      trainSamplesPerSecond: train.perSecond,
      inferSamples: infer.samples,
      inferSamplesPerSecond: infer.perSecond,
    };
  } finally {
    feed.dispose();
    model.dispose();
    tf.disposeVariables();
  }
}

export function formatBench(cells: BenchCell[]): string {
  const head = [
    'backend',
    'config',
    'batch',
    'threads',
    'train samples',
    'train samples/s',
    'infer samples',
    'infer samples/s',
  ];
  const rows = cells.map((c) => [
    c.backend,
    c.config,
    String(c.batchSize),
    String(c.threads),
    String(c.trainSamples),
    c.trainSamplesPerSecond.toFixed(1),
    String(c.inferSamples),
    c.inferSamplesPerSecond.toFixed(1),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((v, i) => (i < 2 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ');
  const devices = [...new Map(cells.map((c) => [c.backend, c.device])).entries()].map(([b, d]) => `  ${b}: ${d}`);
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line), '', 'on:', ...devices].join('\n');
}
