import { describe, expect, it } from 'vitest';
import { loadAddonAt, nativeEnvDefaults } from '../src/backend/onednn/addon.js';
import { loadOnednnBackend, threadsFrom } from '../src/backend/onednn/index.js';

describe('loading the oneDNN addon', () => {
  it('answers "not built" with the build command instead of throwing', () => {
    expect(loadAddonAt('/nonexistent/onednn_addon.node')).toEqual({
      ok: false,
      reason: 'the oneDNN addon is not built (no /nonexistent/onednn_addon.node)',
      fix: 'build it: `npx node-gyp rebuild -C native`',
    });
  });

  it('answers a broken build with a rebuild fix instead of throwing', () => {
    const result = loadAddonAt(new URL(import.meta.url).pathname); // exists, but is no addon
    expect(result).toMatchObject({ ok: false, fix: 'rebuild it: `npx node-gyp rebuild -C native`' });
    expect(result.ok === false && result.reason).toMatch(/^the oneDNN addon failed to load: /);
  });

  it.each([
    [{}, 2, 2],
    [{ MNIST_RUN_THREADS: '' }, 2, 2],
    [{ MNIST_RUN_THREADS: '1' }, 2, 1],
    [{ MNIST_RUN_THREADS: '4' }, 2, 4],
  ])('takes the thread count from %j with %i cores: %i', (env, cores, expected) => {
    expect(threadsFrom(env, cores)).toBe(expected);
  });

  it.each(['0', '-1', '1.5', 'two', '1025', '1e20'])('rejects MNIST_RUN_THREADS=%s with a fix', (raw) => {
    expect(threadsFrom({ MNIST_RUN_THREADS: raw }, 2)).toEqual({
      reason: `MNIST_RUN_THREADS=${raw} is not a whole number from 1 to 1024`,
      fix: 'set MNIST_RUN_THREADS to a thread count such as 2, or unset it',
    });
  });

  it('reports a bad thread setting as ok:false rather than throwing', async () => {
    const result = await loadOnednnBackend({ env: { MNIST_RUN_THREADS: 'two' } });
    expect(result.ok === false && result.reason).toMatch(
      /^MNIST_RUN_THREADS=two is not a whole number from 1 to 1024$|not built/,
    );
  });

  it.each([
    [
      'a quiet default on an AVX-512 CPU',
      {},
      'fpu avx2 avx512f avx512cd avx512bw avx512dq avx512vl',
      { GOMP_SPINCOUNT: '20000', OPENBLAS_CORETYPE: 'SkylakeX' },
    ],
    [
      "nothing over the user's own settings",
      { OMP_WAIT_POLICY: 'active', OPENBLAS_CORETYPE: 'Haswell' },
      'avx512f avx512cd avx512bw avx512dq avx512vl',
      {},
    ],
    ['no AVX-512 kernels without every AVX-512 subset', {}, 'avx2 avx512f', { GOMP_SPINCOUNT: '20000' }],
  ])('sets native library defaults: %s', (_title, env, flags, expected) => {
    expect(nativeEnvDefaults(env, flags)).toEqual(expected);
  });
});
