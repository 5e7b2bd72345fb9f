import * as tf from '@tensorflow/tfjs';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { afterEach, describe, expect, it } from 'vitest';
import { diagnose, formatDiagnosis } from '../src/backend/doctor.js';
import { type BackendContext, selectBackend } from '../src/backend/select.js';

/**
 * Stands in for @tensorflow/tfjs-node(-gpu) at the module boundary: importing it registers a
 * 'tensorflow' backend (a cpu backend underneath) that says whether TensorFlow found a GPU.
 */
function fakeTfjsNode(available: Record<string, { gpu: boolean }>): BackendContext {
  return {
    importModule: async (specifier) => {
      const pkg = available[specifier];
      if (!pkg) throw Object.assign(new Error(`Cannot find package '${specifier}'`), { code: 'ERR_MODULE_NOT_FOUND' });
      tf.registerBackend('tensorflow', () => Object.assign(new MathBackendCPU(), { isUsingGpuDevice: pkg.gpu }));
    },
  };
}

afterEach(async () => {
  if (tf.findBackend('tensorflow')) tf.removeBackend('tensorflow');
  await tf.setBackend('cpu');
});

describe('selectBackend', () => {
  it('uses tfjs-node-gpu when it loads and TensorFlow sees a GPU', async () => {
    const chosen = await selectBackend('tensorflow-gpu', fakeTfjsNode({ '@tensorflow/tfjs-node-gpu': { gpu: true } }));
    expect(chosen).toMatchObject({ name: 'tensorflow-gpu', tfName: 'tensorflow', device: 'GPU (CUDA)' });
    expect(tf.getBackend()).toBe('tensorflow');
  });

  it('refuses tfjs-node-gpu running on the CPU instead of silently falling back', async () => {
    const ctx = fakeTfjsNode({ '@tensorflow/tfjs-node-gpu': { gpu: false } });
    await expect(selectBackend('tensorflow-gpu', ctx)).rejects.toThrowErrorMatchingInlineSnapshot(`
      [BackendError: backend "tensorflow-gpu" cannot be used: @tensorflow/tfjs-node-gpu loaded, but TensorFlow found no GPU device and would run on the CPU
        fix: check \`nvidia-smi\` works and that the CUDA 11.2 / cuDNN 8.1 libraries are on LD_LIBRARY_PATH; or choose --backend tensorflow]
    `);
  });

  it('names the missing package and how to install it when a GPU backend was asked for', async () => {
    await expect(selectBackend('tensorflow-gpu', fakeTfjsNode({}))).rejects.toThrowErrorMatchingInlineSnapshot(`
      [BackendError: backend "tensorflow-gpu" cannot be used: @tensorflow/tfjs-node-gpu is not installed
        fix: on Linux with an NVIDIA GPU, its driver, CUDA 11.2 and cuDNN 8.1: \`npm install --save-exact @tensorflow/tfjs-node-gpu@4.22.0\` (its install step downloads libtensorflow from storage.googleapis.com)]
    `);
  });

  it('lets auto pass over backends that do not load, saying why', async () => {
    const chosen = await selectBackend('auto', fakeTfjsNode({ '@tensorflow/tfjs-node-gpu': { gpu: false } }));
    expect(chosen.name).not.toMatch(/^tensorflow/);
    expect(chosen.skipped.slice(0, 3)).toEqual([
      {
        name: 'tensorflow-gpu',
        reason: '@tensorflow/tfjs-node-gpu loaded, but TensorFlow found no GPU device and would run on the CPU',
      },
      {
        name: 'webgpu',
        // auto looks for a GPU device first (none on a CPU-only Linux machine), then for the packages
        reason: expect.stringMatching(/^(no GPU on this machine|the optional packages webgpu .* are not installed)/),
      },
      { name: 'tensorflow', reason: '@tensorflow/tfjs-node is not installed' },
    ]);
  });

  it('takes tfjs-node on the CPU when asked for "tensorflow"', async () => {
    const chosen = await selectBackend('tensorflow', fakeTfjsNode({ '@tensorflow/tfjs-node': { gpu: false } }));
    expect(chosen.device).toMatch(/^CPU \(libtensorflow/);
  });

  it('always has the pure-JavaScript cpu backend', async () => {
    expect((await selectBackend('cpu')).name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
  });
});

describe('diagnose', () => {
  it('lists every backend, with a fix for each one that does not load', async () => {
    const d = await diagnose(fakeTfjsNode({}));
    expect(d.backends.map((b) => b.name)).toEqual(['tensorflow-gpu', 'webgpu', 'tensorflow', 'onednn', 'wasm', 'cpu']);
    for (const b of d.backends) if (!b.ok) expect(b.fix.length).toBeGreaterThan(10);
    expect(d.backends.find((b) => b.name === 'cpu')?.ok).toBe(true);
    expect(formatDiagnosis(d)).toMatch(/no {4}tensorflow-gpu {2}@tensorflow\/tfjs-node-gpu is not installed\n\s+fix: /);
  });
});
