/**
 * Kernel-by-kernel profile of one training step:
 * `npx vite-node bench/onednn-profile.ts -- <cpu|onednn> <ann|cnn> [batch] [steps]`.
 * Times each kernel function directly (tf.profile reads every output back, which both slows the
 * step and stops the onednn backend from reusing buffers). Prints ms per kernel name per step.
 */
import * as tf from '@tensorflow/tfjs';
import { loadOnednnBackend } from '../src/backend/onednn/index.js';
import { BUILDERS, randomBatch, type ModelName } from './onednn-models.js';

const [backend = 'cpu', model = 'cnn', batchArg = '64', stepsArg = '3'] = process.argv.slice(2).filter((a) => a !== '--');
const steps = Number(stepsArg);
tf.enableProdMode();
if (backend === 'onednn') {
  const r = await loadOnednnBackend();
  if (!r.ok) throw new Error(`${r.reason}; ${r.fix}`);
}

const totals = new Map<string, { ms: number; n: number }>();
for (const config of tf.getKernelsForBackend(backend)) {
  const inner = config.kernelFunc;
  tf.unregisterKernel(config.kernelName, backend);
  tf.registerKernel({
    ...config,
    kernelFunc: (args) => {
      const t0 = performance.now();
      const out = inner(args);
      const e = totals.get(config.kernelName) ?? { ms: 0, n: 0 };
      e.ms += performance.now() - t0;
      e.n += 1;
      totals.set(config.kernelName, e);
      return out;
    },
  });
}

await tf.setBackend(backend);
const m = BUILDERS[model as ModelName]();
const { x, y } = randomBatch(Number(batchArg));
await m.trainOnBatch(x, y); // warm-up: weights, optimizer slots, primitive caches
totals.clear();
const t0 = performance.now();
for (let i = 0; i < steps; i++) await m.trainOnBatch(x, y);
const wall = (performance.now() - t0) / steps;
// Kernels called from inside other kernels (cpu fused ops call Add, etc.) are counted in both.
const rows = [...totals].map(([name, e]) => [name, e.ms / steps, e.n / steps] as const).sort((a, b) => b[1] - a[1]);
const total = rows.reduce((s, r) => s + r[1], 0);
console.log(`${backend} ${model} batch ${batchArg}: step ${wall.toFixed(1)} ms wall, ${total.toFixed(1)} ms in kernels (mean of ${steps} steps)`);
for (const [name, ms, n] of rows.filter((r) => r[1] >= 0.05)) {
  console.log(`${name.padEnd(24)} ${ms.toFixed(2).padStart(9)} ms ${((100 * ms) / wall).toFixed(1).padStart(5)}%  x${n}`);
}
