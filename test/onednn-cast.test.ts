import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadOnednnBackend } from '../src/backend/onednn/index.js';

const loaded = await loadOnednnBackend();

describe.skipIf(!loaded.ok)('oneDNN kernels on float32 tensors that share bool or int32 data', () => {
  beforeAll(() => tf.enableProdMode());

  it.each(['bool', 'int32'] as const)(
    'read a %s tensor cast to float32 by value, as the accuracy metric does',
    async (dtype) => {
      const result = async (backend: string) => {
        await tf.setBackend(backend);
        const x =
          dtype === 'bool'
            ? tf.equal(tf.tensor1d([1, 2, 3, 4]), tf.tensor1d([1, 0, 3, 4]))
            : tf.tensor1d([3, 0, 7, 1], 'int32');
        const f = tf.cast(x, 'float32');
        return [tf.mean(f).dataSync()[0], ...tf.mul(f, tf.scalar(2)).dataSync(), ...x.dataSync()];
      };
      expect(await result('onednn')).toEqual(await result('cpu'));
    },
  );
});
