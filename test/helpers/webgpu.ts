/**
 * The webgpu suite's way onto the GPU code path: the 'webgpu' backend on SwiftShader, selected as a
 * user would with `--backend webgpu --allow-software-gpu`. Missing pieces fail the suite with what to
 * install; they never skip it.
 */
import * as tf from '@tensorflow/tfjs';
import { ALLOW_SOFTWARE_GPU_ENV } from '../../src/backend/names.js';
import { type SelectedBackend, selectBackend } from '../../src/backend/select.js';

export const CLI_WEBGPU_ARGS = ['--backend', 'webgpu', '--allow-software-gpu'];

/** Activates 'webgpu' (software adapter allowed) and returns it; throws with the fix when it cannot. */
export async function useWebgpu(): Promise<SelectedBackend> {
  process.env[ALLOW_SOFTWARE_GPU_ENV] = '1';
  try {
    return await selectBackend('webgpu');
  } catch (err) {
    throw new Error(
      `the webgpu suite needs Dawn on SwiftShader: \`make test\` installs it (Debian's chromium and libvulkan1).\n${(err as Error).message}`,
    );
  }
}

/** Runs `f` on `backend` and returns its tensors' values, then disposes them. */
export async function valuesOn(backend: string, f: () => tf.Tensor | tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const out = tf.tidy(f);
  const list = Array.isArray(out) ? out : [out];
  const values = await Promise.all(list.map(async (t) => new Float32Array(await t.data())));
  tf.dispose(list);
  return values;
}
