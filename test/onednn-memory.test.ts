import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { acceleratedAdam } from '../src/accelerated/index.js';
import type { OnednnBackend } from '../src/backend/onednn/backend.js';
import { loadOnednnBackend } from '../src/backend/onednn/index.js';
import { batchNormalization } from '../src/model/batch-norm.js';
import { conv2d } from '../src/model/conv2d.js';
import { dense } from '../src/model/dense.js';

tf.enableProdMode();
const load = await loadOnednnBackend();
const skipReason = load.ok ? '' : ` (skipped: ${load.reason}; ${load.fix})`;

/**
 * The notebook CNN's layer types at a smaller size, so a step takes milliseconds; the layers and
 * Adam the config compiler uses, so their fused kernels are covered.
 */
function smallCnn(): tf.LayersModel {
  const m = tf.sequential();
  m.add(tf.layers.reshape({ targetShape: [14, 14, 1], inputShape: [14, 14] }));
  m.add(conv2d({ filters: 8, kernelSize: 3 }));
  m.add(batchNormalization());
  m.add(tf.layers.activation({ activation: 'relu' }));
  m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  m.add(tf.layers.flatten());
  m.add(dense({ units: 32, activation: 'sigmoid' }));
  m.add(batchNormalization());
  m.add(tf.layers.dropout({ rate: 0.2 }));
  m.add(dense({ units: 10, activation: 'softmax' }));
  m.compile({ loss: 'categoricalCrossentropy', optimizer: acceleratedAdam(0.01) });
  return m;
}

describe(`oneDNN backend memory${skipReason}`, () => {
  it.skipIf(!load.ok)('keeps the tensor count, pooled bytes and RSS flat across training steps', async () => {
    await tf.setBackend('onednn');
    const model = smallCnn();
    const x = tf.randomUniform([32, 14, 14], 0, 1, 'float32', 1);
    const y = tf.oneHot(tf.randomUniform([32], 0, 10, 'int32', 2), 10).toFloat();
    const steps = async (n: number) => {
      for (let i = 0; i < n; i++) await model.trainOnBatch(x, y);
    };
    await steps(5); // burn-in: optimizer slots, primitive caches, buffer pool
    const tensors = tf.memory().numTensors;
    const pooled = (tf.backend() as OnednnBackend).pool.stats().pooledBytes;
    const rss = process.memoryUsage().rss;
    await steps(40);
    expect(tf.memory().numTensors).toBe(tensors);
    expect((tf.backend() as OnednnBackend).pool.stats().pooledBytes).toBeLessThanOrEqual(pooled * 1.5 + 1e6);
    expect(process.memoryUsage().rss - rss).toBeLessThan(64 * 2 ** 20);
    tf.dispose([x, y]);
    model.dispose();
  });
});
