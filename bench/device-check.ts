/**
 * The device check's own program (scripts/device-check.sh bundles it with the CLI): the webgpu
 * checks that travel to a GPU machine, where the vitest suites cannot (they need node_modules, 700
 * MB), and the report that gathers every step's figures into device-check.json.
 *
 *   selftest [--software] [--steps N] [--batch N]   kernels and a few CNN training steps, webgpu against cpu
 *   report WORKDIR OUTFILE              device-check.json from the steps scripts/device-check.sh ran
 *
 * Here: `npx vite-node bench/device-check.ts -- selftest --software` (with VK_ICD_FILENAMES set to
 * SwiftShader, as test/helpers/webgpu-env.ts does). Exit status 0 when every check passed.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import './device-bundle.js';
import { ALLOW_SOFTWARE_GPU_ENV } from '../src/backend/names.js';
import { type SelectedBackend, selectBackend } from '../src/backend/select.js';
import { loadConfig } from '../src/config/load.js';
import { loadDataset } from '../src/data/dataset.js';
import { compileModel } from '../src/model/compile.js';
import { gatherImages, identityOrder } from '../src/train/batches.js';
import { makeTrainStep } from '../src/train/step.js';
import { makeRng, withSeededMathRandom } from '../src/util/random.js';

// ---------------------------------------------------------------------------------------------
// selftest

/** max |ref - got| / max |ref|, as the kernel tests measure it. */
function relativeError(ref: Float32Array, got: Float32Array): number {
  if (ref.length !== got.length) return Number.POSITIVE_INFINITY;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < ref.length; i++) {
    diff = Math.max(diff, Math.abs(ref[i]! - got[i]!));
    scale = Math.max(scale, Math.abs(ref[i]!));
  }
  return Number.isFinite(diff) ? diff / Math.max(scale, 1e-30) : Number.POSITIVE_INFINITY;
}

type Op = (...xs: tf.Tensor[]) => tf.Tensor;
interface KernelCase {
  name: string;
  op: Op;
  shapes: number[][];
  /** Also compare the gradient of sum(op(x) * r) with respect to every input (the backward kernels). */
  grads: boolean;
  lo?: number;
}

/** The operations of configs/cnn.yaml's training step, at its shapes (batch 64, or 8 for the convolutions). */
const CASES: KernelCase[] = [
  {
    name: 'matMul dense 4608x128',
    op: (a, b) => tf.matMul(a!, b!),
    shapes: [
      [64, 4608],
      [4608, 128],
    ],
    grads: true,
  },
  {
    name: 'fused matMul bias+relu',
    op: (a, b, c) => tf.fused.matMul({ a: a!, b: b!, bias: c!, activation: 'relu' }),
    shapes: [[64, 128], [128, 10], [10]],
    grads: false,
  },
  {
    name: 'conv2d 1->32 3x3 valid',
    op: (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'valid'),
    shapes: [
      [8, 28, 28, 1],
      [3, 3, 1, 32],
    ],
    grads: true,
  },
  {
    name: 'conv2d 32->32 3x3 valid',
    op: (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'valid'),
    shapes: [
      [8, 26, 26, 32],
      [3, 3, 32, 32],
    ],
    grads: true,
  },
  {
    name: 'maxPool 2x2',
    op: (x) => tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid'),
    shapes: [[8, 24, 24, 32]],
    grads: true,
  },
  {
    name: 'batchNorm (moments, normalise, scale)',
    op: (x, g, b) => {
      const { mean, variance } = tf.moments(x!, [0]);
      return tf.batchNorm(x!, mean, variance, b!, g!, 1e-3);
    },
    shapes: [[64, 128], [128], [128]],
    grads: true,
  },
  { name: 'relu', op: (x) => tf.relu(x!), shapes: [[64, 128]], grads: true },
  { name: 'softmax', op: (x) => tf.softmax(x as tf.Tensor2D), shapes: [[64, 10]], grads: true },
  {
    name: 'categorical crossentropy',
    op: (p, y) => tf.neg(tf.mean(tf.sum(tf.mul(y!, tf.log(tf.clipByValue(p!, 1e-7, 1 - 1e-7))), -1))),
    shapes: [
      [64, 10],
      [64, 10],
    ],
    grads: true,
    lo: 0.01,
  },
  { name: 'sum and mean', op: (x) => tf.add(tf.sum(x!, 0), tf.mean(x!, 0)), shapes: [[64, 4608]], grads: true },
];
const KERNEL_TOLERANCE = 1e-4;

function seededTensor(shape: number[], seed: number, lo = -1, hi = 1): tf.Tensor {
  const rng = makeRng(seed);
  return tf.tensor(
    Float32Array.from({ length: tf.util.sizeFromShape(shape) }, () => lo + rng() * (hi - lo)),
    shape,
  );
}

/** The case's results on `backend`: [forward, d/dx0, d/dx1, ...], read back asynchronously (webgpu has no sync read). */
async function runCase(backend: string, c: KernelCase): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const outs = tf.tidy(() => {
    const xs = c.shapes.map((shape, i) => seededTensor(shape, 100 + i, c.lo));
    const y = c.op(...xs);
    if (!c.grads) return [y];
    const r = seededTensor(y.shape, 999);
    const dxs = tf.grads((...args: tf.Tensor[]) => tf.sum(tf.mul(c.op(...args), r)))(xs);
    return [y, ...dxs];
  });
  const values = await Promise.all(outs.map(async (t) => new Float32Array(await t.data())));
  tf.dispose(outs);
  return values;
}

interface KernelResult {
  name: string;
  /** Relative error of the forward result, then of each input's gradient. */
  errors: number[];
  ok: boolean;
  error?: string;
}

async function checkKernels(): Promise<KernelResult[]> {
  const out: KernelResult[] = [];
  for (const c of CASES) {
    try {
      const ref = await runCase('cpu', c);
      const got = await runCase('webgpu', c);
      const errors = ref.map((r, i) => relativeError(r, got[i] ?? new Float32Array()));
      out.push({ name: c.name, errors, ok: errors.every((e) => e <= KERNEL_TOLERANCE) });
    } catch (err) {
      out.push({ name: c.name, errors: [], ok: false, error: String((err as Error).message ?? err) });
    }
  }
  return out;
}

/**
 * configs/cnn.yaml trained `steps` batches of `batch` from the same initial weights, the same batches
 * and the same dropout masks (Math.random seeded, as runs seed it) on `backend`; the loss of each
 * step. Batches smaller than the config's 64 keep the cpu backend's part short (seconds per step).
 */
async function trainLosses(backend: string, steps: number, batch: number, file: string): Promise<number[]> {
  await tf.setBackend(backend);
  const { config } = await loadConfig(file, [`train.batchSize=${batch}`]);
  const data = await loadDataset({ trainSize: steps * batch, testSize: 1 });
  const shape = [data.rows, data.cols];
  const per = data.rows * data.cols;
  const order = identityOrder(data.train.count);
  return withSeededMathRandom(config.seed, async () => {
    const model = compileModel(config, shape, config.seed);
    try {
      const { step } = makeTrainStep(model, {
        sampleShape: shape,
        numClasses: data.numClasses,
        labelFormat: config.loss === 'sparseCategoricalCrossentropy' ? 'sparse' : 'oneHot',
        metricNames: config.metrics,
      });
      const losses: number[] = [];
      const bs = config.train.batchSize;
      for (let b = 0; b < steps; b++) {
        const [loss] = await step(
          gatherImages(data.train, order, b * bs, (b + 1) * bs, per),
          data.train.labels.subarray(b * bs, (b + 1) * bs),
        );
        losses.push(loss!);
      }
      return losses;
    } finally {
      model.dispose();
      tf.disposeVariables();
    }
  });
}

/**
 * The first step starts from identical weights: its loss must agree as closely as a kernel. Later
 * steps drift apart as rounding differences compound through Adam (lr 0.01): looser, but a wrong
 * gradient kernel shows up as a difference of tens of percent within a few steps.
 */
const FIRST_STEP_TOLERANCE = 1e-4;
const LATER_STEPS_TOLERANCE = 1e-2;

async function selftest(args: string[]): Promise<number> {
  const software = args.includes('--software');
  const option = (name: string, fallback: number) => {
    const at = args.indexOf(`--${name}`);
    return at >= 0 ? Number(args[at + 1]) : fallback;
  };
  const steps = option('steps', 4);
  const batch = option('batch', 32);
  const config = resolve('configs/cnn.yaml');
  const t0 = performance.now();
  const progress = (s: string) => process.stderr.write(`selftest: ${s}\n`);
  if (software) process.env[ALLOW_SOFTWARE_GPU_ENV] = '1';
  else delete process.env[ALLOW_SOFTWARE_GPU_ENV];

  let backend: SelectedBackend;
  try {
    backend = await selectBackend('webgpu');
  } catch (err) {
    const result = { ok: false, software, error: (err as Error).message };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return 1;
  }
  progress(`webgpu on ${backend.device}`);
  const adapterOk = backend.adapter !== undefined && backend.adapter.software === software;

  const kernels = await checkKernels();
  for (const k of kernels)
    progress(`${k.ok ? 'ok  ' : 'FAIL'} ${k.name} ${k.error ?? k.errors.map((e) => e.toExponential(1)).join(' ')}`);

  let training: Record<string, unknown>;
  try {
    const tw = performance.now();
    const gpu = await trainLosses('webgpu', steps, batch, config);
    const webgpuSeconds = (performance.now() - tw) / 1000;
    const tc = performance.now();
    const cpu = await trainLosses('cpu', steps, batch, config);
    const cpuSeconds = (performance.now() - tc) / 1000;
    const diffs = cpu.map((l, i) => Math.abs(l - gpu[i]!) / Math.abs(l));
    const ok =
      diffs.length === steps &&
      diffs.every((d, i) => Number.isFinite(d) && d <= (i === 0 ? FIRST_STEP_TOLERANCE : LATER_STEPS_TOLERANCE));
    training = {
      config: 'configs/cnn.yaml',
      steps,
      batchSize: batch,
      webgpu: gpu,
      cpu,
      relativeDifference: diffs,
      webgpuSeconds,
      cpuSeconds,
      ok,
    };
    progress(`${ok ? 'ok  ' : 'FAIL'} ${steps} training steps: webgpu ${fmt(gpu)} cpu ${fmt(cpu)}`);
  } catch (err) {
    training = { ok: false, error: String((err as Error).message ?? err) };
    progress(`FAIL training steps: ${training.error}`);
  }

  const ok = adapterOk && kernels.every((k) => k.ok) && training.ok === true;
  const result = {
    ok,
    software,
    device: backend.device,
    adapter: backend.adapter ?? null,
    adapterOk,
    tolerances: { kernels: KERNEL_TOLERANCE, firstStep: FIRST_STEP_TOLERANCE, laterSteps: LATER_STEPS_TOLERANCE },
    kernels,
    training,
    seconds: (performance.now() - t0) / 1000,
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  return ok ? 0 : 1;
}

const fmt = (xs: number[]) => xs.map((x) => x.toFixed(5)).join(' ');

// ---------------------------------------------------------------------------------------------
// report

type Json = Record<string, unknown>;

function readJson(file: string): Json | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Json;
  } catch {
    return undefined;
  }
}

function readText(file: string): string | undefined {
  return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
}

/** `key=value` lines, as scripts/device-check.sh writes a step's status. */
function readStatus(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of (readText(file) ?? '').split('\n')) {
    const at = line.indexOf('=');
    if (at > 0) out[line.slice(0, at)] = line.slice(at + 1);
  }
  return out;
}

interface StepVerdict {
  ok: boolean;
  /** passed, failed, timed out, skipped, not available */
  status?: string;
  detail?: string;
}

/** Whether each step's output says it worked, beyond its exit status. */
const VERDICTS: Record<string, (out: Json | undefined, gpu: boolean) => StepVerdict> = {
  doctor: (d, gpu) => {
    const backends = (d?.backends ?? []) as { name: string; ok: boolean; reason?: string }[];
    const adapters = (d?.adapters ?? []) as { name: string; software: boolean }[];
    const webgpu = backends.find((b) => b.name === 'webgpu');
    if (gpu)
      return webgpu?.ok
        ? { ok: true, detail: `webgpu loads on ${adapters.find((a) => !a.software)?.name ?? '?'}` }
        : { ok: false, detail: `webgpu does not load: ${webgpu?.reason ?? 'no answer'}` };
    return adapters.length
      ? { ok: true, detail: `adapters: ${adapters.map((a) => a.name).join(', ')}` }
      : { ok: false, detail: 'Dawn saw no adapter' };
  },
  selftest: (s) => ({
    ok: s?.ok === true,
    detail: s?.ok === true ? 'kernels and training steps agree with cpu' : String(s?.error ?? 'a check failed'),
  }),
  train: (r, gpu) => {
    const summary = r?.summary as Json | undefined;
    const accuracy = summary?.testAccuracy as number | undefined;
    if (accuracy === undefined) return { ok: false, detail: 'no run summary' };
    // The notebook reports 98.12% after one epoch; a full epoch well below that means wrong arithmetic.
    if (gpu && accuracy < 0.95)
      return { ok: false, detail: `test accuracy ${accuracy} is below 0.95 after a full epoch` };
    return { ok: true, detail: `test accuracy ${accuracy}` };
  },
  torch: (t, gpu) => {
    if (t?.cuda) return { ok: true, detail: `${t.device}` };
    if (!gpu)
      return { ok: true, status: 'not available', detail: String(t?.reason ?? 'PyTorch with CUDA is not available') };
    return { ok: false, detail: String(t?.reason ?? 'no CUDA figures') };
  },
  'bench-webgpu': (b) => benchVerdict(b),
  'bench-cpu': (b) => benchVerdict(b),
};

function benchVerdict(b: Json | undefined): StepVerdict {
  const cells = (b?.cells ?? []) as Json[];
  return cells.length ? { ok: true, detail: `${cells.length} cells` } : { ok: false, detail: 'no figures' };
}

function report(args: string[]): number {
  const [work, outFile] = args;
  if (!work || !outFile) throw new Error('usage: report WORKDIR OUTFILE');
  const stepsDir = join(work, 'steps');
  const run = readStatus(join(work, 'run.status'));
  const gpu = run.mode !== 'software';
  const order = (run.steps ?? '').split(' ').filter(Boolean);
  const names = [
    ...order,
    ...readdirSync(stepsDir)
      .filter((f) => f.endsWith('.status'))
      .map((f) => f.slice(0, -'.status'.length))
      .filter((n) => !order.includes(n)),
  ];

  const steps = names.map((name) => {
    const st = readStatus(join(stepsDir, `${name}.status`));
    const out = readJson(join(stepsDir, `${name}.json`));
    const rc = st.rc === undefined ? null : Number(st.rc);
    const timedOut = rc === 124 || rc === 137;
    let verdict: StepVerdict;
    if (st.skipped) verdict = { ok: false, status: 'skipped', detail: st.skipped };
    else if (timedOut) verdict = { ok: false, status: 'timed out', detail: `stopped after ${st.limit} s` };
    else {
      const judged = VERDICTS[name]?.(out, gpu) ?? { ok: rc === 0 };
      verdict =
        rc === 0 || judged.status === 'not available'
          ? judged
          : { ...judged, ok: false, detail: `exit status ${rc}; ${judged.detail ?? ''}`.trim() };
    }
    return {
      name,
      status: verdict.status ?? (verdict.ok ? 'passed' : 'failed'),
      ok: verdict.ok,
      ...(verdict.detail ? { detail: verdict.detail } : {}),
      rc,
      seconds: st.seconds === undefined ? null : Number(st.seconds),
      limitSeconds: st.limit === undefined ? null : Number(st.limit),
      command: st.command ?? null,
      log: `${name}.log`,
      result: out ?? null,
    };
  });
  const result = (name: string) => steps.find((s) => s.name === name)?.result as Json | null | undefined;

  const doctor = result('doctor');
  const adapters = (doctor?.adapters ?? []) as Json[];
  const trained = result('train')?.summary as Json | undefined;
  const runDir = result('train')?.runDir;
  const trainedMeta = typeof runDir === 'string' ? readJson(join(runDir, 'meta.json')) : undefined;
  const torch = result('torch');
  const torchCuda = torch?.cuda as Json | null | undefined;
  const nvidia = (readText(join(work, 'nvidia-smi.csv')) ?? '').trim();
  const [gpuName, driver, memory] = nvidia
    ? nvidia
        .split('\n')[0]!
        .split(',')
        .map((s) => s.trim())
    : [];
  const pack = readJson(join(work, 'PACK.json'));

  const figures = {
    webgpuEpoch: trained
      ? {
          what: `configs/cnn.yaml${run.trainOverrides ? ` with ${run.trainOverrides}` : ''}, trained on webgpu, mnist-run's own loop (one loss read-back per batch); validation excluded from the time`,
          backend: trained.backend,
          trainSamples: trainedMeta?.data ? (trainedMeta.data as Json).trainSamples : null,
          trainSeconds: trained.trainSeconds,
          trainSamplesPerSecond: trained.trainSamplesPerSecond,
          testAccuracy: trained.testAccuracy,
          testLoss: trained.testLoss,
        }
      : null,
    torchCuda: torchCuda ?? null,
    torchCpu: torch?.cpu ?? null,
    /** The same network, batch and optimizer, full epoch each: mnist-run on webgpu over PyTorch on CUDA. */
    webgpuOverTorchCuda:
      trained && torchCuda?.fullEpoch === true && !run.trainOverrides
        ? (trained.trainSamplesPerSecond as number) / (torchCuda.samplesPerSecond as number)
        : null,
    bench: [...((result('bench-webgpu')?.cells ?? []) as Json[]), ...((result('bench-cpu')?.cells ?? []) as Json[])],
  };

  const doc = {
    what: 'mnist-run device check (scripts/device-check.sh run): doctor, webgpu self-test, a configs/cnn.yaml epoch on webgpu, PyTorch on the same network, bench',
    ...(gpu
      ? {}
      : {
          warning:
            'SOFTWARE REHEARSAL: webgpu ran on SwiftShader, a CPU emulating a GPU, on a small subset of MNIST. These are not GPU figures.',
        }),
    mode: gpu ? 'gpu' : 'software',
    pass: steps.every((s) => s.ok),
    conditions: {
      start: run.start ?? null,
      end: run.end ?? null,
      seconds: run.seconds === undefined ? null : Number(run.seconds),
      budgetSeconds: run.budget === undefined ? null : Number(run.budget),
      host: {
        kernel: run.uname ?? null,
        cpu: cpus()[0]?.model.trim() ?? null,
        cores: cpus().length,
        memoryGiB: Math.round(totalmem() / 2 ** 30),
        // Other work on the machine slows every figure: the 1-minute load average before and after.
        loadAverageAtStart: run.load === undefined ? null : Number(run.load),
        loadAverageAtEnd: loadavg()[0],
      },
      gpu: nvidia ? { name: gpuName, driver, memory, source: 'nvidia-smi' } : null,
      dawnAdapters: adapters,
      vulkan: { loader: run.vulkanLoader ?? null, icd: run.vulkanIcd ?? null },
      node: process.version,
      nodeSource: run.nodeSource ?? null,
      torch: torch
        ? { version: torch.torch ?? null, cuda: torch.cudaVersion ?? null, python: torch.python ?? null }
        : null,
      pack: pack ?? null,
      trainOverrides: run.trainOverrides || null,
    },
    figures,
    steps,
  };
  writeFileSync(outFile, `${JSON.stringify(doc, null, 2)}\n`);
  return doc.pass ? 0 : 1;
}

// ---------------------------------------------------------------------------------------------

const [command, ...rest] = process.argv.slice(2).filter((a) => a !== '--');
if (command === 'selftest') process.exitCode = await selftest(rest);
else if (command === 'report') process.exitCode = report(rest);
else {
  process.stderr.write('usage: device-check selftest [--software] [--steps N] | report WORKDIR OUTFILE\n');
  process.exitCode = 2;
}
