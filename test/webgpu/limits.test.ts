/**
 * A model the GPU cannot hold is refused before training, with the layer, the sizes and the fix: a
 * WebGPU buffer over maxBufferSize, or bound over maxStorageBufferBindingSize, is otherwise a
 * validation error deep inside a step. Through the CLI on SwiftShader (1 GiB limits); fitsOnDevice
 * against fake adapters with small limits; and fitsOnDevice's buffers against the ones
 * tfjs-backend-webgpu really creates for a training step.
 */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { AdapterSummary } from '../../src/backend/webgpu/adapters.js';
import { fitsOnDevice } from '../../src/backend/webgpu/limits.js';
import { loadConfig } from '../../src/config/load.js';
import { ConfigSchema, type LayerSpec } from '../../src/config/schema.js';
import { loadDataset } from '../../src/data/dataset.js';
import { compileModel } from '../../src/model/compile.js';
import { trainModel } from '../../src/train/loop.js';
import { runCli } from '../helpers/cli.js';
import { CLI_WEBGPU_ARGS, useWebgpu } from '../helpers/webgpu.js';

const KiB = 1024;
const MiB = 1024 * KiB;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mnist-run-webgpu-limits-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** A fake adapter: the two limits that matter, a name for the message. */
const adapter = (maxStorageBufferBindingSize: number, maxBufferSize = maxStorageBufferBindingSize): AdapterSummary => ({
  name: 'Fake GPU',
  api: 'vulkan',
  vendor: 'fake',
  architecture: '',
  device: '',
  description: '',
  software: false,
  maxBufferSize,
  maxStorageBufferBindingSize,
});

const modelOf = (layers: LayerSpec[]) => {
  const cfg = ConfigSchema.parse({ model: { layers } });
  return compileModel(cfg, [28, 28], 1);
};

describe('a model over the GPU limits, through the CLI', () => {
  it('fails before training: the layer, the sizes, the fix, no stack and no run folder', async () => {
    // SwiftShader binds at most 1 GiB: 784 × 350000 × 4 bytes is 1047 MiB.
    const file = join(dir, 'too-wide.yaml');
    await writeFile(
      file,
      stringify({
        model: {
          layers: [
            { type: 'flatten' },
            { type: 'dense', units: 350_000, activation: 'relu' },
            { type: 'dense', units: 10, activation: 'softmax' },
          ],
        },
      }),
    );
    const out = join(dir, 'runs');
    const res = await runCli([
      file,
      ...CLI_WEBGPU_ARGS,
      '--set',
      'data.trainSize=64',
      '--set',
      'data.testSize=16',
      '--out',
      out,
    ]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(
      /^mnist-run: the webgpu backend cannot train this model: model\.layers\[1\] \(dense_1\): its weight dense_1\/kernel \[784,350000\] takes 1047 MiB, over the 1024 MiB this GPU \(SwiftShader Device \(Subzero\)\) can bind in one buffer \(maxStorageBufferBindingSize \/ maxBufferSize\)\n {2}fix: make the layer smaller \(fewer units or filters\), or train on a CPU backend/,
    );
    expect(res.stderr).not.toMatch(/internal error|\n\s+at |validation|Dawn/i);
    await expect(readdir(out)).rejects.toMatchObject({ code: 'ENOENT' }); // not even the output folder
  });
});

describe('fitsOnDevice against small limits', () => {
  beforeAll(() => tf.setBackend('cpu'));

  const ann = (units: number) =>
    modelOf([
      { type: 'flatten' },
      { type: 'dense', units },
      { type: 'activation', activation: 'relu' },
      { type: 'dense', units: 10, activation: 'softmax' },
    ]);

  it('names a weight over the limit, by its place in model.layers, with the fix', () => {
    const model = ann(300); // dense_1/kernel: 784 × 300 × 4 = 918.75 KiB
    expect(fitsOnDevice(model, 32, adapter(512 * KiB))).toBe(
      'model.layers[1] (dense_1): its weight dense_1/kernel [784,300] takes 918.8 KiB, over the 512.0 KiB this GPU (Fake GPU) ' +
        'can bind in one buffer (maxStorageBufferBindingSize / maxBufferSize)\n' +
        '  fix: make the layer smaller (fewer units or filters), or train on a CPU backend (--backend onednn)',
    );
    expect(fitsOnDevice(model, 32, adapter(MiB))).toBeUndefined();
    model.dispose();
  });

  it('takes the smaller of maxBufferSize and maxStorageBufferBindingSize', () => {
    const model = ann(300);
    expect(fitsOnDevice(model, 32, adapter(MiB, 512 * KiB))).toMatch(/^model\.layers\[1\] \(dense_1\): its weight/);
    expect(fitsOnDevice(model, 32, adapter(512 * KiB, MiB))).toMatch(/^model\.layers\[1\] \(dense_1\): its weight/);
    expect(fitsOnDevice(model, 32, adapter(0))).toBeUndefined(); // limits unknown: nothing to say
    model.dispose();
  });

  it('names an output over the limit at the batch size, and says to lower it', () => {
    // conv2d_1's output: batch × 28 × 28 × 64 × 4 bytes, 196 KiB an image; its weights 2.3 KiB.
    const model = modelOf([
      { type: 'reshape', targetShape: [28, 28, 1] },
      { type: 'conv2d', filters: 64, kernelSize: 3, padding: 'same' },
      { type: 'maxPooling2d', poolSize: 4 },
      { type: 'flatten' },
      { type: 'dense', units: 10, activation: 'softmax' },
    ]);
    expect(fitsOnDevice(model, 4, adapter(512 * KiB))).toBe(
      'model.layers[1] (conv2d_1): its output at batch size 4 takes 784.0 KiB, over the 512.0 KiB this GPU (Fake GPU) ' +
        'can bind in one buffer (maxStorageBufferBindingSize / maxBufferSize)\n' +
        '  fix: lower train.batchSize, or make the layer smaller, or train on a CPU backend (--backend onednn)',
    );
    expect(fitsOnDevice(model, 2, adapter(512 * KiB))).toBeUndefined();
    // Just over: both sizes in bytes rather than the same rounded figure twice.
    expect(fitsOnDevice(model, 2, adapter(401_407))).toMatch(/takes 401408 bytes, over the 401407 bytes this GPU/);
    model.dispose();
  });

  it("counts a convolution's unfolded patches where tfjs-backend-webgpu makes them", () => {
    // conv2d_2 sees 4×4×256 and gives 2×2×1: a few tiles, so tfjs unfolds its patches (im2col), one
    // [batch·2·2, 3·3·256] buffer: 576 KiB at batch 16. At batch 17 it convolves in place.
    const model = modelOf([
      { type: 'reshape', targetShape: [28, 28, 1] },
      { type: 'conv2d', filters: 256, kernelSize: 7, strides: 7 },
      { type: 'conv2d', filters: 1, kernelSize: 3 },
      { type: 'flatten' },
      { type: 'dense', units: 10, activation: 'softmax' },
    ]);
    expect(fitsOnDevice(model, 16, adapter(512 * KiB))).toMatch(
      /^model\.layers\[2\] \(conv2d_2\): its unfolded patches at batch size 16 takes 576\.0 KiB, over the 512\.0 KiB .*\n {2}fix: lower train\.batchSize/,
    );
    expect(fitsOnDevice(model, 17, adapter(512 * KiB))).toBeUndefined();
    model.dispose();
  });

  it("does not count patches tfjs never unfolds: cnn.yaml at batch 256 fits WebGPU's default 128 MiB", async () => {
    // Unfolded, conv2d_2's patches would be 256 × 24 × 24 × 288 × 4 bytes = 162 MiB.
    const { config } = await loadConfig('configs/cnn.yaml');
    const model = compileModel(config, [28, 28], 1);
    expect(fitsOnDevice(model, 256, adapter(128 * MiB))).toBeUndefined();
    expect(fitsOnDevice(model, 256, adapter(16 * MiB))).toMatch(
      /^model\.layers\[1\] \(conv2d_1\): its output at batch size 256 takes 21 MiB/,
    );
    model.dispose();
  });
});

describe("fitsOnDevice's buffers against tfjs-backend-webgpu's own", () => {
  it('the largest buffer of a training step of cnn.yaml is the largest fitsOnDevice counts', async () => {
    await useWebgpu();
    const { globals } = (await import('webgpu')) as unknown as {
      globals: { GPUDevice: { prototype: { createBuffer(d: { size: number }): unknown } } };
    };
    const { config } = await loadConfig('configs/cnn.yaml');
    const data = await loadDataset({ trainSize: 8, testSize: 8 });
    const model = compileModel(config, [data.rows, data.cols], config.seed);
    const sizes: number[] = [];
    const proto = globals.GPUDevice.prototype;
    const createBuffer = proto.createBuffer;
    proto.createBuffer = function (d) {
      sizes.push(d.size);
      return createBuffer.call(this, d);
    };
    try {
      await trainModel({
        model,
        train: data.train,
        sampleShape: [data.rows, data.cols],
        numClasses: data.numClasses,
        labelFormat: 'oneHot',
        metricNames: ['accuracy'],
        epochs: 1,
        batchSize: 8,
        seed: 1,
        callbacks: [],
      });
    } finally {
      proto.createBuffer = createBuffer;
    }
    const largest = Math.max(...sizes);
    expect(largest).toBe(4608 * 128 * 4); // dense_1's kernel, its gradient, Adam's two slots for it
    const gpu = adapter(largest);
    expect(fitsOnDevice(model, 8, gpu)).toBeUndefined();
    expect(fitsOnDevice(model, 8, { ...gpu, maxStorageBufferBindingSize: largest - 1 })).toMatch(/dense_1\/kernel/);
    model.dispose();
  });
});
