/**
 * Two builds of the native addon side by side in one process:
 * `npx vite-node bench/addon-ab.ts -- A.node B.node [configs/cnn.yaml] [steps]`
 * (copy native/build/Release/onednn_addon.node aside before and after a change).
 *
 * Two models of the same seed train on the same fixed batch through the native step, step by step
 * in turn, one through build A's step and one through B's (dropout's masks from Math.random streams
 * seeded alike). Alternating steps puts the same load on both, so the ratio holds on a busy or
 * shared machine where separate runs' times do not. Prints ms per step for each, A/B, and the
 * largest difference between the two models' weights at the end: 0 for a change meant to keep the
 * arithmetic bit for bit. Threads: MNIST_RUN_THREADS (default 2).
 */
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import { loadAddon } from '../src/backend/onednn/addon.js';
import { loadOnednnBackend } from '../src/backend/onednn/index.js';
import { loadConfig } from '../src/config/load.js';
import { compileModel } from '../src/model/compile.js';
import { makeTrainStep } from '../src/train/step.js';
import { Mulberry32, withMathRandom } from '../src/util/random.js';

const [fileA, fileB, cfgFile = 'configs/cnn.yaml', stepsArg = '40'] = process.argv.slice(2).filter((a) => a !== '--');
tf.enableProdMode();
await loadOnednnBackend();
await tf.setBackend('onednn');
const req = createRequire(import.meta.url);
const A = req(fileA!),
  B = req(fileB!);
const threads = Number(process.env.MNIST_RUN_THREADS ?? 2);
A.setThreads(threads);
B.setThreads(threads);
const load = loadAddon();
if (!load.ok) throw new Error(`${load.reason}; ${load.fix}`);
const addon = load.addon as unknown as Record<string, unknown>;
const { config } = await loadConfig(cfgFile, []);
const rows = config.train.batchSize;
const o = { sampleShape: [28, 28], numClasses: 10, labelFormat: 'oneHot' as const, metricNames: config.metrics };
const models = [compileModel(config, [28, 28], 1), compileModel(config, [28, 28], 1)];
const steps = models.map((m) => makeTrainStep(m, o).step);
const randoms = [new Mulberry32(7), new Mulberry32(7)];
const x = new Float32Array(rows * 784).map((_, i) => ((i * 2654435761) % 1000) / 1000);
const labels = Uint8Array.from({ length: rows }, (_, i) => i % 10);
const t = [0, 0];
const n = Number(stepsArg);
for (let i = 0; i < n + 3; i++) {
  for (const k of [0, 1]) {
    const M = k ? B : A;
    for (const f of ['layerStackStep', 'layerStackPredict', 'denseStackStep']) addon[f] = M[f];
    const t0 = performance.now();
    await withMathRandom(randoms[k]!, () => steps[k]!(x, labels));
    if (i >= 3) t[k]! += performance.now() - t0;
  }
}
let maxDiff = 0;
models[0]!.weights.forEach((w, i) => {
  const a = w.read().dataSync(),
    b = models[1]!.weights[i]!.read().dataSync();
  for (let j = 0; j < a.length; j++) maxDiff = Math.max(maxDiff, Math.abs(a[j]! - b[j]!));
});
console.log(
  `${cfgFile} threads=${threads} steps=${n}: A ${(t[0]! / n).toFixed(2)} ms, B ${(t[1]! / n).toFixed(2)} ms, A/B ${(t[0]! / t[1]!).toFixed(3)}; max |weight A - B| = ${maxDiff}`,
);
