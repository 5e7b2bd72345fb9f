/**
 * Kernel-by-kernel profile of one training step: `npx vite-node bench/onednn-profile.ts -- <cpu|onednn> <ann|cnn> [batch]`.
 * Prints total ms per kernel name, sorted, with share of the step.
 */
import * as tf from '@tensorflow/tfjs';
import { BUILDERS, randomBatch, type ModelName } from './onednn-models.js';
import { loadOnednnBackend } from '../src/backend/onednn/index.js';

const [backend = 'cpu', model = 'cnn', batchArg = '64'] = process.argv.slice(2).filter((a) => a !== '--');
tf.enableProdMode();
if (backend === 'onednn') {
  const r = await loadOnednnBackend();
  if (!r.ok) throw new Error(`${r.reason}; ${r.fix}`);
}
await tf.setBackend(backend);
const m = BUILDERS[model as ModelName]();
const { x, y } = randomBatch(Number(batchArg));
await m.trainOnBatch(x, y); // warm-up: weights, optimizer slots, primitive caches
const t0 = performance.now();
const info = await tf.profile(async () => { await m.trainOnBatch(x, y); });
const wall = performance.now() - t0;
const byName = new Map<string, { ms: number; n: number }>();
for (const k of info.kernels.filter((k) => !k.name.endsWith("__op"))) { // "__op" rows wrap custom-gradient ops: counted twice
  const e = byName.get(k.name) ?? { ms: 0, n: 0 };
  e.ms += Number(k.kernelTimeMs);
  e.n += 1;
  byName.set(k.name, e);
}
const total = [...byName.values()].reduce((s, e) => s + e.ms, 0);
console.log(`${backend} ${model} batch ${batchArg}: step wall ${wall.toFixed(1)} ms (profiled), kernels ${total.toFixed(1)} ms, ${info.kernels.filter((k) => !k.name.endsWith("__op")).length} kernel calls`);
for (const [name, e] of [...byName].sort((a, b) => b[1].ms - a[1].ms)) {
  console.log(`${name.padEnd(24)} ${e.ms.toFixed(2).padStart(10)} ms ${((100 * e.ms) / total).toFixed(1).padStart(5)}%  x${e.n}`);
}
