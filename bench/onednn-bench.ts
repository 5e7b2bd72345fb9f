/**
 * Training throughput, cpu vs onednn: `npx vite-node bench/onednn-bench.ts -- [--models ann,cnn]
 * [--backends cpu,onednn] [--batch 64] [--seconds 10]`. Prints samples/s and achieved GFLOP/s.
 * Threads: MNIST_RUN_ONEDNN_THREADS (default all cores); the cpu backend is single-threaded.
 */
import * as tf from '@tensorflow/tfjs';
import { loadOnednnBackend } from '../src/backend/onednn/index.js';
import { BUILDERS, MFLOP_PER_SAMPLE, randomBatch, type ModelName } from './onednn-models.js';

function option(name: string, fallback: string): string {
  const args = process.argv.slice(2);
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : fallback;
}

const models = option('models', 'ann,cnn').split(',') as ModelName[];
const backends = option('backends', 'cpu,onednn').split(',');
const batch = Number(option('batch', '64'));
const seconds = Number(option('seconds', '10'));

tf.enableProdMode();
const onednn = await loadOnednnBackend();
if (!onednn.ok) console.error(`onednn unavailable: ${onednn.reason}\n  fix: ${onednn.fix}`);

/** Steps until `seconds` have passed (at least 2 after 2 warm-up steps); returns samples/s. */
async function measure(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor): Promise<{ perSec: number; steps: number }> {
  for (let i = 0; i < 2; i++) await model.trainOnBatch(x, y); // warm-up: slots, JIT kernels, caches
  const t0 = performance.now();
  let steps = 0;
  while (steps < 2 || performance.now() - t0 < seconds * 1000) {
    await model.trainOnBatch(x, y);
    steps++;
  }
  return { perSec: (steps * batch * 1000) / (performance.now() - t0), steps };
}

console.log(`batch ${batch}, ~${seconds}s per row, onednn threads ${onednn.ok ? onednn.threads : '-'}`);
console.log('model  backend  samples/s  GFLOP/s  steps  tensors');
for (const name of models) {
  for (const backend of backends) {
    if (backend === 'onednn' && !onednn.ok) continue;
    await tf.setBackend(backend);
    const model = BUILDERS[name]();
    const { x, y } = randomBatch(batch);
    const { perSec, steps } = await measure(model, x, y);
    const gflops = (perSec * MFLOP_PER_SAMPLE[name]) / 1000;
    console.log(`${name.padEnd(6)} ${backend.padEnd(8)} ${perSec.toFixed(1).padStart(9)} ${gflops.toFixed(2).padStart(8)} ${String(steps).padStart(6)} ${String(tf.memory().numTensors).padStart(8)}`);
    tf.dispose([x, y]);
    model.dispose();
  }
}
