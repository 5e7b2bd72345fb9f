/**
 * Kernel-by-kernel profile of one training step:
 * `npx vite-node bench/onednn-profile.ts -- <cpu|onednn> <ann|cnn|configs/X.yaml> [batch] [steps] [tf|fused]`
 * (the last picks the Adam of the ann/cnn builders; a config brings its own optimizer, and its
 * batch size when `batch` is 0).
 * Times each kernel function directly (tf.profile reads every output back, which both slows the
 * step and stops the onednn backend from reusing buffers). Prints ms per kernel name per step.
 */
import * as tf from '@tensorflow/tfjs';
import { acceleratedAdam } from '../src/accelerated/index.js';
import { loadOnednnBackend } from '../src/backend/onednn/index.js';
import { loadConfig } from '../src/config/load.js';
import { compileModel } from '../src/model/compile.js';
import { BUILDERS, type ModelName, randomBatch } from './onednn-models.js';

const [backend = 'cpu', model = 'cnn', batchArg = '64', stepsArg = '3', adamArg = 'tf'] = process.argv
  .slice(2)
  .filter((a) => a !== '--');
const steps = Number(stepsArg);
tf.enableProdMode();
if (backend === 'onednn') {
  const r = await loadOnednnBackend();
  if (!r.ok) throw new Error(`${r.reason}; ${r.fix}`);
}

// CPU time (all threads of this process) as well as wall time: on a shared machine a kernel's
// wall time includes whatever else ran on its core, its CPU time does not.
const totals = new Map<string, { ms: number; cpuMs: number; n: number }>();
for (const config of tf.getKernelsForBackend(backend)) {
  const inner = config.kernelFunc;
  tf.unregisterKernel(config.kernelName, backend);
  tf.registerKernel({
    ...config,
    kernelFunc: (args) => {
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      const out = inner(args);
      const c = process.cpuUsage(c0);
      const e = totals.get(config.kernelName) ?? { ms: 0, cpuMs: 0, n: 0 };
      e.ms += performance.now() - t0;
      e.cpuMs += (c.user + c.system) / 1000;
      e.n += 1;
      totals.set(config.kernelName, e);
      return out;
    },
  });
}

await tf.setBackend(backend);
async function build(): Promise<{ m: tf.LayersModel; batch: number }> {
  if (!model.endsWith('.yaml'))
    return {
      m: BUILDERS[model as ModelName](adamArg === 'fused' ? acceleratedAdam : undefined),
      batch: Number(batchArg),
    };
  const { config } = await loadConfig(model);
  return { m: compileModel(config, [28, 28], config.seed), batch: Number(batchArg) || config.train.batchSize };
}
const { m, batch } = await build();
const { x, y } = randomBatch(batch);
await m.trainOnBatch(x, y); // warm-up: weights, optimizer slots, primitive caches
totals.clear();
const t0 = performance.now();
const cpu0 = process.cpuUsage();
for (let i = 0; i < steps; i++) await m.trainOnBatch(x, y);
const wall = (performance.now() - t0) / steps;
const cpuUsed = process.cpuUsage(cpu0);
const cpuMs = (cpuUsed.user + cpuUsed.system) / 1000 / steps;
// Kernels called from inside other kernels (cpu fused ops call Add, etc.) are counted in both.
const rows = [...totals]
  .map(([name, e]) => [name, e.ms / steps, e.cpuMs / steps, e.n / steps] as const)
  .sort((a, b) => b[2] - a[2]);
const total = rows.reduce((s, r) => s + r[1], 0);
const totalCpu = rows.reduce((s, r) => s + r[2], 0);
console.log(
  `${backend} ${model} batch ${batch}, mean of ${steps} steps: step ${wall.toFixed(1)} ms wall / ${cpuMs.toFixed(1)} ms CPU; in kernels ${total.toFixed(1)} ms wall / ${totalCpu.toFixed(1)} ms CPU`,
);
console.log(`${'kernel'.padEnd(24)} ${'wall ms'.padStart(9)} ${'CPU ms'.padStart(9)} ${'% CPU'.padStart(6)}  calls`);
for (const [name, ms, c, n] of rows.filter((r) => r[2] >= 0.05 || r[1] >= 0.05)) {
  console.log(
    `${name.padEnd(24)} ${ms.toFixed(2).padStart(9)} ${c.toFixed(2).padStart(9)} ${((100 * c) / cpuMs).toFixed(1).padStart(6)}  x${n}`,
  );
}
