/**
 * Every shipped experiment config trains a few batches on the webgpu backend (SwiftShader) through
 * the real CLI, and again on cpu with the same seed and sizes. Checked for each:
 *  - the per-epoch training loss and metrics (metrics.jsonl, summary.json) match cpu's within LOSS_TOL;
 *  - the run folder is complete: every file RUN_FILES and MODEL_FILES name exists and parses, meta.json
 *    says completed, backend webgpu, and records the (software) adapter;
 *  - its saved model, loaded here on cpu, predicts the test images as the run's predictions.csv says,
 *    with the test loss and metrics summary.json reports (computed on webgpu) within LOSS_TOL.
 *
 * Tolerances, measured on SwiftShader (the worst relative difference seen, in brackets):
 *  - LOSS_TOL, 1e-4, for the training loss and metrics of every config [ANNs 4e-8, cnn 6e-7], and for
 *    the saved model's test loss on cpu against webgpu's [same weights: 9e-8].
 *  - The CNN configs' inference-mode metrics after training (val_*, summary.json's test loss) against
 *    cpu's: INFERENCE_TOL, 0.2 [3.7e-2], a sanity bound only. Some of their gradients are zero in
 *    exact arithmetic (the biases of the layers before BatchNormalization; dense_1's weights on inputs
 *    that are the same for every image of a batch, the blank background), so each backend computes
 *    rounding noise there, and Adam's first steps, lr·g/(|g|+1e-7), turn any noise over 1e-7 into a
 *    ±lr step (0.01) of either sign. Training-mode BatchNormalization cancels those weights exactly,
 *    so training losses agree; its moving mean, which inference uses, lags them. (tfjs-backend-webgpu's
 *    split-K matmul adds with atomics, so the noise even differs between two webgpu runs.) What checks
 *    webgpu's inference is the saved model's test loss on cpu against webgpu's, at LOSS_TOL.
 *    For the same reason each CNN epoch is one batch (trainSize = batchSize), the same images again:
 *    a batch of other images meets those shifted weights in training too (measured: 2.4e-3 on the
 *    next batch's loss).
 *  - cnn-augment's training loss after its first epoch: AUGMENTED_TOL, 1e-3 [2.3e-5; 5e-7 to 2.3e-5
 *    over five runs]. Augmentation shows it other pixels every epoch, so some of that noise shows
 *    through; its kernels are cnn's, checked at LOSS_TOL. Its first epoch, before any step: LOSS_TOL [0].
 *  - Accuracies are counts: equal, except val accuracy after training, within one test image.
 */
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadDataset } from '../../src/data/dataset.js';
import { loadModelDir } from '../../src/model/io.js';
import { MODEL_FILES, RUN_FILES } from '../../src/output-files.js';
import { MetaSchema, MetricsRecordSchema, SummarySchema } from '../../src/run/format.js';
import { readRun } from '../../src/run/read.js';
import { evaluate } from '../../src/train/evaluate.js';
import { parseCsv } from '../../src/util/csv.js';
import { type CliResult, runCli } from '../helpers/cli.js';
import { CLI_WEBGPU_ARGS } from '../helpers/webgpu.js';

const LOSS_TOL = 1e-4;
const AUGMENTED_TOL = 1e-3;
const INFERENCE_TOL = 0.2;

interface Sizes {
  trainSize: number;
  testSize: number;
  batchSize: number;
  epochs: number;
}
const ANN: Sizes = { trainSize: 64, testSize: 64, batchSize: 16, epochs: 2 }; // 4 batches an epoch
const CNN: Sizes = { trainSize: 4, testSize: 8, batchSize: 4, epochs: 2 }; // one batch an epoch (see above)
/** Every experiment in configs/, with the sizes it trains at here; a new config fails the suite until listed. */
const CONFIGS: Record<string, { sizes: Sizes; batchNorm: boolean; laterEpochsTol?: number }> = {
  'ann-seed': { sizes: ANN, batchNorm: false },
  ann: { sizes: ANN, batchNorm: false },
  cnn: { sizes: CNN, batchNorm: true },
  'cnn-augment': { sizes: CNN, batchNorm: true, laterEpochsTol: AUGMENTED_TOL },
};
/** CLI runs at once: a CNN on SwiftShader keeps one core busy, and the cpu runs fill the gaps. */
const PARALLEL = 3;

interface Run {
  res: CliResult;
  runDir: string;
  seconds: number;
}

let out: string;
const runs = new Map<string, Promise<Run>>();

/** Starts every run at once, PARALLEL at a time; each test awaits its own two. */
function startRuns() {
  let slots = PARALLEL;
  const queue: (() => void)[] = [];
  const limited = <T>(f: () => Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const go = () => {
        slots--;
        f()
          .then(resolve, reject)
          .finally(() => {
            slots++;
            queue.shift()?.();
          });
      };
      if (slots > 0) go();
      else queue.push(go);
    });
  // CNNs first: they take longest.
  const order = Object.keys(CONFIGS).sort((a, b) => Number(CONFIGS[b]!.batchNorm) - Number(CONFIGS[a]!.batchNorm));
  for (const name of order)
    for (const backend of ['webgpu', 'cpu']) {
      const { sizes } = CONFIGS[name]!;
      const sets = Object.entries({
        'data.trainSize': sizes.trainSize,
        'data.testSize': sizes.testSize,
        'train.batchSize': sizes.batchSize,
        'train.epochs': sizes.epochs,
      }).flatMap(([k, v]) => ['--set', `${k}=${v}`]);
      const backendArgs = backend === 'webgpu' ? CLI_WEBGPU_ARGS : ['--backend', 'cpu'];
      const args = [`configs/${name}.yaml`, ...backendArgs, ...sets, '--out', join(out, backend), '--json'];
      const run = limited(async () => {
        const t0 = performance.now();
        const res = await runCli(args);
        const seconds = (performance.now() - t0) / 1000;
        let runDir = '';
        try {
          runDir = JSON.parse(res.stdout).runDir;
        } catch {}
        return { res, runDir, seconds };
      });
      run.catch(() => {}); // awaited by its test; a spawn failure is reported there
      runs.set(`${name}/${backend}`, run);
    }
}

beforeAll(async () => {
  out = join(tmpdir(), `mnist-run-webgpu-train-${process.pid}`);
  await rm(out, { recursive: true, force: true });
  startRuns();
  tf.enableProdMode();
  await tf.setBackend('cpu');
});
afterAll(() => rm(out, { recursive: true, force: true }));

/** A finished run, or the test fails with its stderr. */
async function finished(name: string, backend: string): Promise<Run> {
  const run = await runs.get(`${name}/${backend}`)!;
  if (run.res.code !== 0 || !run.runDir)
    throw new Error(`${name} on ${backend} exited ${run.res.code}:\n${run.res.stderr.slice(-3000)}`);
  console.info(`${name} on ${backend}: ${run.seconds.toFixed(1)} s`);
  return run;
}

const relative = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);
const readJson = async (file: string) => JSON.parse(await readFile(file, 'utf8'));
const metricsOf = async (dir: string) =>
  (await readFile(join(dir, RUN_FILES.metrics), 'utf8'))
    .trimEnd()
    .split('\n')
    .map((l) => MetricsRecordSchema.parse(JSON.parse(l)));

/** Worst relative difference of each kind, for the log: what the tolerances are measured against. */
function compareMetrics(
  gpu: Record<string, unknown>,
  cpu: Record<string, unknown>,
  where: string,
  o: { batchNorm: boolean; testSize: number; inference?: boolean; tol?: number },
): Record<string, number> {
  const worst: Record<string, number> = {};
  for (const [key, expected] of Object.entries(cpu)) {
    if (['formatVersion', 'epoch', 'seconds', 'samples_per_second'].includes(key)) continue;
    if (typeof expected !== 'number') continue;
    const actual = gpu[key];
    expect(actual, `${where}: ${key}`).toEqual(expect.any(Number));
    const inference = o.inference === true || key.startsWith('val_');
    const diff = Math.abs((actual as number) - expected);
    if (key.toLowerCase().endsWith('accuracy')) {
      // A count over the images: equal, but after BatchNorm runs' inference, within one image.
      expect(diff, `${where}: ${key}`).toBeLessThanOrEqual(inference && o.batchNorm ? 1 / o.testSize + 1e-9 : 1e-9);
      continue;
    }
    const tol = inference && o.batchNorm ? INFERENCE_TOL : (o.tol ?? LOSS_TOL);
    const rel = relative(actual as number, expected);
    expect(rel, `${where}: ${key} ${actual} on webgpu, ${expected} on cpu`).toBeLessThanOrEqual(tol);
    const kind = inference ? 'inference' : 'train';
    worst[kind] = Math.max(worst[kind] ?? 0, rel);
  }
  return worst;
}

/** Every file a completed run leaves, each parsed; returns meta.json. */
async function checkRunFolder(dir: string, name: string, sizes: Sizes) {
  // A completed run keeps every file but the checkpoint (removed once done) and the resume lock.
  const kept = Object.values(RUN_FILES).filter((f) => f !== RUN_FILES.checkpoint && f !== RUN_FILES.lock);
  expect((await readdir(dir)).sort()).toEqual(kept.sort());
  expect((await readdir(join(dir, RUN_FILES.modelDir))).sort()).toEqual(Object.values(MODEL_FILES).sort());

  const record = await readRun(dir);
  expect(record.problems).toEqual([]);
  const meta = MetaSchema.parse(await readJson(join(dir, RUN_FILES.meta)));
  const summary = SummarySchema.parse(await readJson(join(dir, RUN_FILES.summary)));
  expect(meta.status).toBe('completed');
  expect(await readFile(join(dir, RUN_FILES.config), 'utf8')).toBe(await readFile(`configs/${name}.yaml`, 'utf8'));
  const resolved = parse(await readFile(join(dir, RUN_FILES.resolvedConfig), 'utf8'));
  expect(resolved.data).toMatchObject({ trainSize: sizes.trainSize, testSize: sizes.testSize });
  expect(resolved.train).toMatchObject({ batchSize: sizes.batchSize, epochs: sizes.epochs });

  const metrics = await metricsOf(dir);
  expect(metrics.map((m) => m.epoch)).toEqual(Array.from({ length: sizes.epochs }, (_, i) => i + 1));
  expect(summary.epochsRun).toBe(sizes.epochs);
  expect(summary.final).toEqual(
    Object.fromEntries(
      Object.entries(metrics.at(-1)!).filter(
        ([k]) => !['formatVersion', 'epoch', 'seconds', 'samples_per_second'].includes(k),
      ),
    ),
  );
  const history = parseCsv((await readFile(join(dir, RUN_FILES.history), 'utf8')).trim());
  expect(history).toHaveLength(sizes.epochs + 1);
  expect(history.slice(1).map((r) => Number(r[history[0]!.indexOf('loss')]))).toEqual(metrics.map((m) => m.loss));

  const confusion = parseCsv((await readFile(join(dir, RUN_FILES.confusion), 'utf8')).trim());
  expect(confusion).toHaveLength(11);
  expect(
    confusion
      .slice(1)
      .flatMap((r) => r.slice(1).map(Number))
      .reduce((a, b) => a + b, 0),
  ).toBe(sizes.testSize);

  const log = (await readFile(join(dir, RUN_FILES.log), 'utf8')).trimEnd().split('\n');
  const entries = log.map((l) => JSON.parse(l) as { msg: string });
  expect(entries.map((e) => e.msg)).toContain('run completed');

  const model = await readJson(join(dir, RUN_FILES.modelDir, MODEL_FILES.topology));
  const specs = (model.weightsManifest as { weights: { shape: number[] }[] }[]).flatMap((g) => g.weights);
  const weightBytes = specs.reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1) * 4, 0);
  expect((await stat(join(dir, RUN_FILES.modelDir, MODEL_FILES.weights))).size).toBe(weightBytes);
  return { meta, summary, metrics };
}

/** predictions.csv's rows: [actual, predicted]. */
async function predictionsOf(dir: string): Promise<number[][]> {
  const rows = parseCsv((await readFile(join(dir, RUN_FILES.predictions), 'utf8')).trim());
  expect(rows[0]).toEqual(['Actual', 'Predictions']);
  return rows.slice(1).map((r) => r.map(Number));
}

describe('each shipped config on webgpu (SwiftShader) against cpu, through the CLI', () => {
  it('lists every experiment in configs/', async () => {
    const experiments = (await readdir('configs'))
      .filter((f) => f.endsWith('.yaml') && !f.endsWith('.sweep.yaml'))
      .map((f) => f.replace(/\.yaml$/, ''));
    expect(new Set(experiments)).toEqual(new Set(Object.keys(CONFIGS)));
  });

  for (const [name, { sizes, batchNorm, laterEpochsTol }] of Object.entries(CONFIGS)) {
    it(`${name}.yaml: ${sizes.epochs} epochs of ${sizes.trainSize / sizes.batchSize} batches match cpu, the folder is complete, the model predicts the same on cpu`, async () => {
      const gpuRun = await finished(name, 'webgpu');
      const cpuRun = await finished(name, 'cpu');
      expect(gpuRun.res.stderr).not.toMatch(/internal error|\n\s+at /);

      const gpu = await checkRunFolder(gpuRun.runDir, name, sizes);
      const cpu = await checkRunFolder(cpuRun.runDir, name, sizes);
      expect(gpu.meta.backend).toMatchObject({ name: 'webgpu', tfName: 'webgpu' });
      expect(gpu.meta.backend.adapter).toMatchObject({
        software: true,
        api: 'vulkan',
        name: expect.stringMatching(/SwiftShader/),
        maxStorageBufferBindingSize: expect.any(Number),
      });
      expect(gpu.summary.backend).toBe('webgpu');
      expect(cpu.meta.backend.name).toBe('cpu');
      expect(gpu.meta.seed).toBe(cpu.meta.seed);

      // Training, epoch by epoch, then the test set.
      const worst: Record<string, number> = {};
      const note = (w: Record<string, number>) => {
        for (const [k, v] of Object.entries(w)) worst[k] = Math.max(worst[k] ?? 0, v);
      };
      const o = { batchNorm, testSize: sizes.testSize };
      for (const [i, m] of cpu.metrics.entries())
        note(
          compareMetrics(gpu.metrics[i]!, m, `${name} epoch ${m.epoch}`, {
            ...o,
            tol: i > 0 ? laterEpochsTol : undefined,
          }),
        );
      const test = { ...o, inference: true };
      note(compareMetrics(gpu.summary.testMetrics, cpu.summary.testMetrics, `${name} summary.json testMetrics`, test));
      const headline = ({ testLoss, testAccuracy }: typeof gpu.summary) => ({ testLoss, testAccuracy });
      note(compareMetrics(headline(gpu.summary), headline(cpu.summary), `${name} summary.json`, test));

      // Validating on the test set, the last epoch's val_loss is the test loss: the same model and images.
      const lastVal = gpu.metrics.at(-1)?.val_loss;
      if (lastVal != null) expect(relative(lastVal, gpu.summary.testLoss ?? Number.NaN)).toBeLessThanOrEqual(LOSS_TOL);

      // The webgpu run's model, on cpu, against what the webgpu run said of it.
      const data = await loadDataset({ trainSize: sizes.trainSize, testSize: sizes.testSize });
      const model = await loadModelDir(join(gpuRun.runDir, RUN_FILES.modelDir));
      const config = parse(await readFile(join(gpuRun.runDir, RUN_FILES.resolvedConfig), 'utf8'));
      model.compile({ loss: config.loss, optimizer: 'sgd', metrics: config.metrics });
      const sampleShape = [data.rows, data.cols];
      const probs = tf.tidy(
        () => model.predict(tf.tensor(data.test.images, [data.test.count, ...sampleShape])) as tf.Tensor,
      );
      const p = (await probs.array()) as number[][];
      probs.dispose();
      const rows = await predictionsOf(gpuRun.runDir);
      expect(rows.map((r) => r[0])).toEqual(Array.from(data.test.labels));
      for (const [i, [, predicted]] of rows.entries()) {
        const best = Math.max(...p[i]!);
        // The same class; a different one only where two probabilities tie within rounding.
        expect(best - p[i]![predicted!]!, `test image ${i}: class ${predicted} in predictions.csv`).toBeLessThanOrEqual(
          1e-5,
        );
      }
      const onCpu = await evaluate(model, data.test, {
        sampleShape,
        numClasses: data.numClasses,
        labelFormat: 'oneHot',
        metricNames: config.metrics,
        batchSize: sizes.batchSize,
      });
      const same = relative(onCpu.loss!, gpu.summary.testLoss ?? Number.NaN);
      expect(
        same,
        `${name}: test loss of the saved model on cpu ${onCpu.loss}, on webgpu ${gpu.summary.testLoss}`,
      ).toBeLessThanOrEqual(LOSS_TOL);
      expect(onCpu.accuracy).toBeCloseTo(gpu.summary.testAccuracy, 9);
      model.dispose();
      console.info(
        `${name}: worst relative difference webgpu vs cpu: ${Object.entries(worst)
          .map(([k, v]) => `${k} ${v.toExponential(1)}`)
          .join(', ')}; saved model on cpu vs webgpu test loss ${same.toExponential(1)}`,
      );
    });
  }
});
