/** Work the GPU rejects fails the run with the GPU's reason instead of training on with garbage. */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { deviceTraits } from '../../src/accelerated/index.js';
import { activeDevice } from '../../src/backend/webgpu/index.js';
import { GpuRejectedError } from '../../src/backend/webgpu/lost.js';
import { useWebgpu } from '../helpers/webgpu.js';

describe('a GPU error', () => {
  it('stops every later submit and read-back with the reason, and the loop sees it', async () => {
    await useWebgpu();
    expect(deviceTraits()?.lost()).toBeUndefined();
    expect(await tf.add(tf.ones([3]), tf.ones([3])).data()).toEqual(new Float32Array([2, 2, 2]));
    // An invalid buffer, as out-of-memory or a bad shader would be: Dawn reports it as uncaptured.
    const device = activeDevice() as unknown as { createBuffer(d: object): unknown };
    device.createBuffer({ size: 7, usage: 0x0001 | 0x0080 }); // MAP_READ | STORAGE: not allowed together
    await new Promise((r) => setTimeout(r, 100));
    const failure = deviceTraits()?.lost();
    expect(failure).toBeInstanceOf(GpuRejectedError);
    expect(failure?.message).toMatch(/^the GPU rejected work \(Validation error: .*\); the run cannot go on/);
    await expect(tf.mul(tf.ones([1024]), tf.ones([1024])).data()).rejects.toBeInstanceOf(GpuRejectedError);
  });
});
