/**
 * Training throughput, cpu vs onednn: `npx vite-node bench/onednn-bench.ts -- [--models ann,cnn]
 * [--backends cpu,onednn] [--batch 64] [--seconds 10] [--adam tf|fused]`. `--adam fused` trains with
 * acceleratedAdam (one native pass per variable on onednn) instead of tf.train.adam. Prints samples/s
 * and achieved GFLOP/s.
 * Threads: MNIST_RUN_THREADS (default all cores); the cpu backend is single-threaded.
 */
import { availableParallelism, loadavg } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { acceleratedAdam } from '../src/accelerated/index.js';
import { loadOnednnBackend } from '../src/backend/onednn/index.js';
import { BUILDERS, MFLOP_PER_SAMPLE, type ModelName, randomBatch } from './onednn-models.js';

function option(name: string, fallback: string): string {
  const args = process.argv.slice(2);
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : fallback;
}

const models = option('models', 'ann,cnn').split(',') as ModelName[];
const backends = option('backends', 'cpu,onednn').split(',');
const batch = Number(option('batch', '64'));
const seconds = Number(option('seconds', '10'));
const adam = option('adam', 'tf') === 'fused' ? acceleratedAdam : undefined;

tf.enableProdMode();
const onednn = await loadOnednnBackend();
if (!onednn.ok) console.error(`onednn unavailable: ${onednn.reason}\n  fix: ${onednn.fix}`);

/** Steps until `seconds` have passed (at least 2 after 2 warm-up steps); returns samples/s. */
/**
 * Steps until `seconds` have passed (at least 2, after 2 warm-up steps). Also returns samples per
 * CPU-second of this process: on a shared machine wall time counts other people's work, CPU time
 * does not (with one thread it is the figure a quiet machine would give).
 */
async function measure(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor) {
  for (let i = 0; i < 2; i++) await model.trainOnBatch(x, y); // warm-up: slots, JIT kernels, caches
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  let steps = 0;
  while (steps < 2 || performance.now() - t0 < seconds * 1000) {
    await model.trainOnBatch(x, y);
    steps++;
  }
  const cpu = process.cpuUsage(cpu0);
  const samples = steps * batch;
  return {
    perSec: (samples * 1000) / (performance.now() - t0),
    perCpuSec: (samples * 1e6) / (cpu.user + cpu.system),
    steps,
  };
}

console.log(
  `batch ${batch}, ~${seconds}s per row, onednn threads ${onednn.ok ? onednn.threads : '-'}, adam ${adam ? 'fused' : 'tf.train.adam'}`,
);
console.log(
  `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} on ${availableParallelism()} cores`,
);
console.log('model  backend  samples/s  GFLOP/s  samples/cpu-s  steps  tensors');
for (const name of models) {
  for (const backend of backends) {
    if (backend === 'onednn' && !onednn.ok) continue;
    await tf.setBackend(backend);
    const model = BUILDERS[name](adam);
    const { x, y } = randomBatch(batch);
    const { perSec, perCpuSec, steps } = await measure(model, x, y);
    const gflops = (perSec * MFLOP_PER_SAMPLE[name]) / 1000;
    console.log(
      `${name.padEnd(6)} ${backend.padEnd(8)} ${perSec.toFixed(1).padStart(9)} ${gflops.toFixed(2).padStart(8)} ${perCpuSec.toFixed(1).padStart(14)} ${String(steps).padStart(6)} ${String(tf.memory().numTensors).padStart(8)}`,
    );
    tf.dispose([x, y]);
    model.dispose();
  }
}
