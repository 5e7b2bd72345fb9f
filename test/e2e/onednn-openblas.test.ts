/**
 * On a CPU without AVX-512, oneDNN has no brgemm matmul and the backend's matrix products run on
 * OpenBLAS instead. This file stands in for such a CPU: oneDNN reads ONEDNN_MAX_CPU_ISA when the
 * addon is first loaded, so it needs a process of its own, which e2e files get (unit files share one).
 */
import { existsSync, readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { loadOnednnBackend } from '../../src/backend/onednn/index.js';
import { compareWithTfjs } from '../helpers/dense-stack.js';
import { type Case, expectClose, MATMUL } from '../helpers/kernel-cases.js';

// oneDNN takes the variable when the addon is loaded: that must not have happened in this process.
const maps = existsSync('/proc/self/maps') ? readFileSync('/proc/self/maps', 'utf8') : '';
if (maps.includes('onednn_addon.node')) {
  throw new Error('the oneDNN addon is already loaded in this process: run the e2e suite isolated (npm run test:e2e)');
}
process.env.ONEDNN_MAX_CPU_ISA = 'AVX2';
tf.enableProdMode();
const load = await loadOnednnBackend();
const skipReason = load.ok ? '' : ` (skipped: ${load.reason}; ${load.fix})`;

describe(`matrix products on OpenBLAS (oneDNN limited to AVX2)${skipReason}`, () => {
  it.skipIf(!load.ok)('the backend says OpenBLAS runs them', () => {
    expect(load.ok && load.matmul).toMatch(/^OpenBLAS /);
  });
  it.skipIf(!load.ok).each(MATMUL)('%s', async (...c) => expectClose(c as unknown as Case));
  // Its products run on OpenBLAS here, in each thread's part of the batch.
  it.skipIf(!load.ok)(
    'the native dense-stack step matches tfjs on cpu (the notebook ANN as written, 3 SGD steps)',
    async () => {
      const { weights, logs } = await compareWithTfjs('cpu', 'configs/ann-seed.yaml', []);
      expect(weights).toBeLessThanOrEqual(1e-4);
      expect(logs).toBeLessThanOrEqual(1e-4);
    },
  );
});
