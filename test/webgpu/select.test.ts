/** A GPU is a GPU: SwiftShader is seen and described, but only an explicit, allowed request uses it. */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { diagnose, formatDiagnosis } from '../../src/backend/doctor.js';
import { ALLOW_SOFTWARE_GPU_ENV } from '../../src/backend/names.js';
import { selectBackend } from '../../src/backend/select.js';
import { useWebgpu } from '../helpers/webgpu.js';

describe('the webgpu backend on a software adapter', () => {
  it('doctor lists the adapter with its vendor, architecture, driver and that it is software', async () => {
    const d = await diagnose();
    expect(d.adapters).toContainEqual(
      expect.objectContaining({ vendor: 'google', architecture: 'swiftshader', software: true }),
    );
    const webgpu = d.backends.find((b) => b.name === 'webgpu');
    expect(webgpu?.ok).toBe(false);
    expect(d.auto).not.toBe('webgpu');
    const text = formatDiagnosis(d);
    expect(text).toMatch(/no {4}webgpu {10}the only GPU adapter is software \(SwiftShader Device \(Subzero\)\)/);
    expect(text).toMatch(
      /SwiftShader Device \(Subzero\) \[software .*never picked by auto\)\]\n.*vendor google, architecture swiftshader/,
    );
    expect(text).toMatch(/driver: SwiftShader driver/);
  });

  it('refuses --backend webgpu on it without --allow-software-gpu, saying why and how', async () => {
    delete process.env[ALLOW_SOFTWARE_GPU_ENV];
    await expect(selectBackend('webgpu')).rejects.toThrow(
      /backend "webgpu" cannot be used: the only GPU adapter is software .*\n {2}fix: .*--allow-software-gpu/,
    );
  });

  it('auto passes it over even when software GPUs are allowed', async () => {
    process.env[ALLOW_SOFTWARE_GPU_ENV] = '1';
    const chosen = await selectBackend('auto');
    expect(chosen.name).not.toBe('webgpu');
    // Here there is no GPU device node at all, so auto does not even start Dawn; where there is one, the
    // software adapter is refused by the choice of adapter (test/webgpu-adapters.test.ts).
    expect(chosen.skipped.find((s) => s.name === 'webgpu')?.reason).toMatch(/software|no GPU on this machine/);
  });

  it('runs on it when allowed, and says which adapter it uses', async () => {
    const chosen = await useWebgpu();
    expect(chosen).toMatchObject({ name: 'webgpu', tfName: 'webgpu' });
    expect(chosen.adapter).toMatchObject({
      software: true,
      api: 'vulkan',
      description: expect.stringMatching(/SwiftShader/),
    });
    expect(chosen.device).toMatch(/^software GPU SwiftShader/);
    expect(tf.getBackend()).toBe('webgpu');
    expect(await tf.add(tf.tensor1d([1, 2]), tf.tensor1d([3, 4])).data()).toEqual(new Float32Array([4, 6]));
  });
});
