/**
 * Where a native training step's time goes:
 * `npx vite-node bench/layer-stack-profile.ts -- [configs/cnn.yaml] [steps]`.
 *
 * Trains the config's model through the backend's native step on onednn (the layer-stack step for a
 * CNN) on a fixed batch, first timed alone, then again in a child process with oneDNN's verbose mode
 * on (ONEDNN_VERBOSE=1), whose per-primitive execution times it sums per step: each convolution's
 * forward, backward-data and backward-weights, and the filter reorders. What the primitives leave of
 * the step is the step's own loops (batch norm, pooling, activations, dropout), the dense layers'
 * products, the optimizer's update and the call. Prints ms per step, the same steps through
 * model.trainOnBatch for scale, and each convolution's GFLOP/s (2 FLOP per multiply-add).
 */
import { spawnSync } from 'node:child_process';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { loadOnednnBackend } from '../src/backend/onednn/index.js';
import { loadConfig } from '../src/config/load.js';
import { compileModel } from '../src/model/compile.js';
import { makeTrainStep } from '../src/train/step.js';

const [file = 'configs/cnn.yaml', stepsArg = '20'] = process.argv.slice(2).filter((a) => a !== '--');
const steps = Number(stepsArg);
const WARM_UP = 5;

async function timeSteps(): Promise<{
  kind: string;
  rows: number;
  threads: number;
  msPerStep: number;
  tfjsMsPerStep: number;
}> {
  tf.enableProdMode();
  const load = await loadOnednnBackend();
  if (!load.ok) throw new Error(`${load.reason}; ${load.fix}`);
  await tf.setBackend('onednn');
  const { config } = await loadConfig(file, []);
  const model = compileModel(config, [28, 28], config.seed);
  const rows = config.train.batchSize;
  const { step, kind } = makeTrainStep(model, {
    sampleShape: [28, 28],
    numClasses: 10,
    labelFormat: 'oneHot',
    metricNames: config.metrics,
  });
  const x = new Float32Array(rows * 784).map((_, i) => ((i * 2654435761) % 1000) / 1000);
  const labels = Uint8Array.from({ length: rows }, (_, i) => i % 10);
  for (let i = 0; i < WARM_UP; i++) await step(x, labels); // primitives made, buffers pooled
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) await step(x, labels);
  const msPerStep = (performance.now() - t0) / steps;
  if (process.env.LAYER_STACK_PROFILE_CHILD)
    return { kind, rows, threads: load.threads, msPerStep, tfjsMsPerStep: Number.NaN };
  // The same steps through tfjs's own engine on the same backend (its fused layer kernels), for scale.
  const xs = tf.tensor(x, [rows, 28, 28]);
  const ys = tf.oneHot(tf.tensor1d(labels, 'int32'), 10);
  for (let i = 0; i < WARM_UP; i++) await model.trainOnBatch(xs, ys);
  const t1 = performance.now();
  for (let i = 0; i < steps; i++) await model.trainOnBatch(xs, ys);
  return { kind, rows, threads: load.threads, msPerStep, tfjsMsPerStep: (performance.now() - t1) / steps };
}

if (process.env.LAYER_STACK_PROFILE_CHILD) {
  console.log(`result ${JSON.stringify(await timeSteps())}`);
} else {
  const load = loadavg()[0]!;
  const alone = await timeSteps();
  // The same command (vite-node runs every file it is given: the options go after `--`).
  const args = [...process.execArgv, process.argv[1]!, fileURLToPath(import.meta.url), '--', file, stepsArg];
  const child = spawnSync(process.execPath, args, {
    env: { ...process.env, ONEDNN_VERBOSE: '1', LAYER_STACK_PROFILE_CHILD: '1' },
    encoding: 'utf8',
    maxBuffer: 256 * 2 ** 20,
  });
  const lines = child.stdout.split('\n');
  const result = lines.find((l) => l.startsWith('result '));
  if (!result) throw new Error(`the verbose run failed (${child.status}): ${child.stderr.slice(-2000)}`);
  const verbose = JSON.parse(result.slice(7)) as typeof alone;
  // onednn_verbose,exec,cpu,<primitive>,<impl>,<prop>,<formats>,<attrs>,<aux>,<problem>,<ms>; the
  // last `steps` steps' worth of each (warm-up first).
  const calls = new Map<string, { ms: number[]; problem: string }>();
  for (const l of lines) {
    if (!l.startsWith('onednn_verbose,exec,cpu,')) continue;
    const f = l.split(',');
    const key = `${f[3]} ${f[5]} ${f[9]}`;
    const entry = calls.get(key) ?? { ms: [], problem: f[9]! };
    entry.ms.push(Number(f[f.length - 1]));
    calls.set(key, entry);
  }
  const rowsOut: { primitive: string; msPerStep: number; gflops?: number }[] = [];
  let primitives = 0;
  for (const [key, { ms, problem }] of calls) {
    const perStep = ms.length / (WARM_UP + steps);
    const timed = ms.slice(-Math.round(perStep * steps));
    const msPerStep = timed.reduce((a, b) => a + b, 0) / steps;
    primitives += msPerStep;
    // mb64_ic32oc32_ih26oh24kh3..._iw26ow24kw3...: multiply-adds = mb·oh·ow·oc·ic·kh·kw
    const n = (k: string) => Number(problem.match(new RegExp(`${k}(\\d+)`))?.[1]);
    const macs = n('mb') * n('oh') * n('ow') * n('oc') * n('ic') * n('kh') * n('kw');
    const gflops = Number.isFinite(macs) ? (2 * macs * perStep) / (msPerStep * 1e6) : undefined;
    rowsOut.push({ primitive: key, msPerStep, ...(gflops ? { gflops } : {}) });
  }
  rowsOut.sort((a, b) => b.msPerStep - a.msPerStep);
  console.log(
    `${file}: ${alone.kind}, batch ${alone.rows}, ${steps} steps after ${WARM_UP} warm-up; ${cpus()[0]?.model}, ` +
      `${alone.threads} of ${availableParallelism()} threads, load ${load.toFixed(2)}`,
  );
  const rate = (ms: number) => `${((alone.rows * 1000) / ms).toFixed(0)} samples/s`;
  console.log(`step: ${alone.msPerStep.toFixed(2)} ms (${rate(alone.msPerStep)})`);
  console.log(
    `the same through model.trainOnBatch: ${alone.tfjsMsPerStep.toFixed(2)} ms (${rate(alone.tfjsMsPerStep)})`,
  );
  console.log(`with verbose on: ${verbose.msPerStep.toFixed(2)} ms, of which oneDNN primitives:`);
  for (const r of rowsOut)
    console.log(
      `  ${r.msPerStep.toFixed(2).padStart(7)} ms  ${r.gflops ? `${r.gflops.toFixed(0).padStart(4)} GFLOP/s` : '             '}  ${r.primitive}`,
    );
  console.log(
    `  ${primitives.toFixed(2).padStart(7)} ms  in primitives; ${(verbose.msPerStep - primitives).toFixed(2)} ms elsewhere`,
  );
}
