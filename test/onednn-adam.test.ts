import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { acceleratedAdam } from '../src/accelerated/index.js';
import { loadAddon } from '../src/backend/onednn/addon.js';
import { loadOnednnBackend } from '../src/backend/onednn/index.js';
import { relativeError } from './helpers/cross-check.js';

tf.enableProdMode();
const load = await loadOnednnBackend();
const skipReason = load.ok ? '' : ` (skipped: ${load.reason}; ${load.fix})`;

/** Trains a seeded two-layer net for `steps` steps on `backend`; returns every weight. */
async function train(backend: string, optimizer: tf.Optimizer, steps: number): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const init = (seed: number) => ({
    kernelInitializer: tf.initializers.glorotUniform({ seed }),
    biasInitializer: tf.initializers.randomNormal({ seed: seed + 1 }),
  });
  const model = tf.sequential();
  model.add(tf.layers.dense({ inputShape: [20], units: 16, activation: 'sigmoid', ...init(1) }));
  model.add(tf.layers.dense({ units: 4, activation: 'softmax', ...init(3) }));
  model.compile({ loss: 'categoricalCrossentropy', optimizer });
  const x = tf.randomUniform([32, 20], 0, 1, 'float32', 5);
  const y = tf.oneHot(tf.randomUniform([32], 0, 4, 'int32', 6), 4).toFloat();
  for (let i = 0; i < steps; i++) await model.trainOnBatch(x, y);
  const weights = model.getWeights().map((w) => w.dataSync() as Float32Array);
  tf.dispose([x, y]);
  model.dispose();
  return weights;
}

describe(`the one-pass Adam${skipReason}`, () => {
  it.skipIf(!load.ok).each([1, 5])('matches tf.train.adam on the cpu backend after %i steps', async (steps) => {
    const reference = await train('cpu', tf.train.adam(0.01), steps);
    const fused = await train('onednn', acceleratedAdam(0.01), steps);
    const initial = await train('cpu', tf.train.adam(0.01), 0);
    reference.forEach((w, i) => {
      expect(relativeError(w, fused[i]!)).toBeLessThanOrEqual(1e-4);
      expect(relativeError(initial[i]!, w)).toBeGreaterThan(1e-3); // the weights did move
    });
  });

  it('is plain tf.train.adam on other backends', async () => {
    const reference = await train('cpu', tf.train.adam(0.01), 3);
    const same = await train('cpu', acceleratedAdam(0.01), 3);
    expect(same.map((w) => Array.from(w))).toEqual(reference.map((w) => Array.from(w)));
  });
});

/**
 * tf.train.adam's arithmetic for one element, float32 after every operation as tfjs's cpu backend
 * rounds it: [w', m', v'].
 */
function adamReference(w: number, g: number, m: number, v: number, h: Float32Array): [number, number, number] {
  const f = Math.fround;
  const [b1, b2, lr, eps, c1, c2] = Array.from(h) as [number, number, number, number, number, number];
  const mi = f(f(m * b1) + f(g * f(1 - b1)));
  const vi = f(f(v * b2) + f(f(g * g) * f(1 - b2)));
  return [f(f(f(f(mi / c1) / f(f(Math.sqrt(f(vi / c2))) + eps)) * -lr) + w), mi, vi];
}

const SMALLEST_NORMAL = 2 ** -126;

describe(`the one-pass Adam's subnormal moments${skipReason}`, () => {
  const addon = load.ok ? loadAddon() : undefined;
  // 0.9 and 0.999 take these moments below 2^-126 in one step with a zero gradient.
  const hyper = new Float32Array([0.9, 0.999, 0.01, 1e-7, 0.1, 0.001]);
  // Small enough for one thread and large enough for the threaded pass.
  it.skipIf(!load.ok).each([1000, 200_000])(
    'stores zero for a moment that falls below 2^-126, and the weights are tfjs’s (%i weights)',
    (n) => {
      const f = Math.fround;
      // (Not zero: a weight under ~1e-23 would show the moved tail.)
      const w = Float32Array.from({ length: n }, (_, i) => f(0.505 - (i % 101) / 100));
      // Every fourth element's gradient is zero and its moments decay into the subnormal range; the
      // others learn as usual.
      const g = Float32Array.from({ length: n }, (_, i) => (i % 4 ? f(((i % 7) - 3) / 1000) : 0));
      const m = Float32Array.from({ length: n }, (_, i) => (i % 4 ? f((i % 5) / 1e4) : f(1.2e-38)));
      const v = Float32Array.from({ length: n }, (_, i) => (i % 4 ? f((i % 3) / 1e6) : f(1.1e-38)));
      const [ow, om, ov] = [new Float32Array(n), new Float32Array(n), new Float32Array(n)];
      if (!addon?.ok) throw new Error('no addon');
      addon.addon.adam(w, g, m, v, ow, om, ov, hyper);
      // The one pass contracts multiply-adds (one rounding where tfjs rounds twice): a few ulp.
      // A weight's error scales with the update as well as with the weight.
      const close = (got: number, exact: number, scale = Math.abs(exact)) =>
        expect(Math.abs(got - exact)).toBeLessThanOrEqual(scale * 2 ** -21);
      let flushed = 0;
      for (let i = 0; i < n; i++) {
        const [rw, rm, rv] = adamReference(w[i]!, g[i]!, m[i]!, v[i]!, hyper);
        if (i % 4) {
          close(ow[i]!, rw, Math.abs(w[i]!) + Math.abs(rw - w[i]!));
          close(om[i]!, rm);
          close(ov[i]!, rv);
          continue;
        }
        // tfjs's moments here are subnormal, its weight unchanged.
        expect([Math.abs(rm) < SMALLEST_NORMAL, Math.abs(rv) < SMALLEST_NORMAL, rm > 0, rv > 0]).toEqual([
          true,
          true,
          true,
          true,
        ]);
        expect(rw).toBe(w[i]);
        expect([ow[i], om[i], ov[i]]).toEqual([rw, 0, 0]);
        flushed++;
      }
      expect(flushed).toBe(Math.ceil(n / 4));
      // The calling thread's floating-point setting is back: JavaScript's own subnormals survive.
      const tiny = [Number.MIN_VALUE * 2 ** 10, f(1.1e-38)];
      expect(tiny[0]! / 2).toBeGreaterThan(0);
      expect(Math.fround(tiny[1]! * 0.5)).toBeGreaterThan(0);
    },
  );
});
