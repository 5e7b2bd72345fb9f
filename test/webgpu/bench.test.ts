/** `mnist-run bench` measures the webgpu backend like the others, through the feed training uses. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const ROOT = join(import.meta.dirname, '..', '..');

describe('bench on webgpu', () => {
  it('measures training and inference on the GPU adapter, with the training set resident there', async () => {
    const args = ['bench', 'configs/ann.yaml', '--backends', 'webgpu', '--samples', '256', '--seconds', '5', '--json'];
    const r = await runCli([...args, '--allow-software-gpu'], { cwd: ROOT });
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.code).toBe(0);
    const { cells } = JSON.parse(r.stdout) as { cells: Record<string, unknown>[] };
    expect(cells).toHaveLength(1);
    expect(cells[0]).toMatchObject({
      backend: 'webgpu',
      config: 'ann',
      device: expect.stringMatching(/^software GPU SwiftShader/),
      feed: expect.stringMatching(/training set uploaded once .* one read-back per batch/),
    });
    expect(cells[0]!.trainSamplesPerSecond).toBeGreaterThan(0);
    expect(cells[0]!.inferSamplesPerSecond).toBeGreaterThan(0);
  });

  it('refuses the software adapter without --allow-software-gpu, with the fix', async () => {
    const r = await runCli(['bench', 'configs/ann.yaml', '--backends', 'webgpu', '--samples', '64'], { cwd: ROOT });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/backend "webgpu" cannot be used: the only GPU adapter is software/);
    expect(r.stderr).toMatch(/fix: .*--allow-software-gpu/);
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
  });
});
