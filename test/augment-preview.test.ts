import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pngjs from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { previewGrid } from '../src/augment/preview.js';
import type { Augmenter } from '../src/augment/transform.js';
import { augmentPreviewCommand } from '../src/cli/commands/augment-preview.js';
import type { CliEnv } from '../src/cli/env.js';
import { UsageError } from '../src/errors.js';
import { encodePng } from '../src/util/png.js';

describe('previewGrid', () => {
  // Two 2×3 images; the fake augmenter inverts and records which epochs it was asked for.
  const images = Float32Array.from([0, 0.2, 0.4, 0.6, 0.8, 1, 1, 1, 1, 0, 0, 0]);
  const epochs: number[] = [];
  const invert: Augmenter = (x, count, epoch, batch) => {
    epochs.push(epoch * 10 + batch);
    expect(count).toBe(2);
    return x.map((v) => 1 - v);
  };
  const grid = previewGrid({ images, count: 2, rows: 2, cols: 3, augment: invert, variants: 2, scale: 2 });
  const at = (x: number, y: number) => grid.pixels[y * grid.width + x];

  it('lays out one row per image: original, a wider gap, then one variant per epoch 1..N of batch 0', () => {
    // width: gap 2 + cell 6 + gap 6 + 2 × (cell 6 + gap 2); height: gap 2 + 2 × (cell 4 + gap 2)
    expect([grid.width, grid.height]).toEqual([30, 14]);
    expect(epochs).toEqual([10, 20]);
  });

  it('scales each image pixel to scale × scale, white ink on black, grey between cells', () => {
    expect([at(2, 2), at(3, 3), at(4, 2), at(7, 5)]).toEqual([0, 0, 51, 255]); // image 0 at (2, 2), 2×2 blocks
    expect([at(14, 2), at(19, 5)]).toEqual([255, 0]); // its first variant, inverted, at x = 2 + 6 + 6
    expect([at(2, 8), at(7, 11)]).toEqual([255, 0]); // image 1 one cell row down
    expect([at(0, 0), at(10, 4), at(29, 13)]).toEqual([110, 110, 110]);
  });

  it('encodes an 8-bit greyscale PNG that decodes to the same pixels', () => {
    const decoded = pngjs.PNG.sync.read(encodePng(grid));
    expect([decoded.width, decoded.height, decoded.colorType, decoded.depth]).toEqual([30, 14, 0, 8]);
    const grey = Array.from({ length: 30 * 14 }, (_, i) => decoded.data[i * 4]);
    expect(grey).toEqual(Array.from(grid.pixels));
  });
});

describe('augment-preview', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mnist-run-preview-'));
    await writeFile(
      join(dir, 'aug.yaml'),
      'model:\n  layers:\n    - type: flatten\n    - type: dense\n      units: 10\n      activation: softmax\n' +
        'augment:\n  rotationRange: 15\n  zoomRange: 0.1\n  horizontalFlip: true\n',
    );
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  function env(): CliEnv & { out: string[]; err: string[] } {
    const out: string[] = [];
    const err: string[] = [];
    const stream = (into: string[]) => ({ write: (s: string) => into.push(s) }) as unknown as NodeJS.WriteStream;
    return {
      cwd: dir,
      argv: [],
      stdout: stream(out),
      stderr: stream(err),
      now: () => new Date(0),
      interrupted: () => false,
      stoppedBy: () => undefined,
      stopWithParent: () => {},
      stopReason: () => undefined,
      onForcedExit: () => () => {},
      onSecondSignal: () => () => {},
      setExitCode: () => {},
      exitCode: () => 0,
      out,
      err,
    };
  }
  const args = { file: 'aug.yaml', set: [], output: 'grid.png', digits: 3, variants: 2, scale: 1 };

  it('writes a grid of real test digits, prints its path and the config warnings', async () => {
    const e = env();
    await augmentPreviewCommand(e).handler(args);
    expect(e.out).toEqual([`${join(dir, 'grid.png')}\n`]);
    expect(e.err.join('')).toContain(
      'warning: aug.yaml augment.horizontalFlip: a flipped digit is often not the same digit',
    );
    const png = pngjs.PNG.sync.read(await readFile(join(dir, 'grid.png')));
    expect([png.width, png.height, png.colorType]).toEqual([1 + 28 + 3 + 2 * 29, 1 + 3 * 29, 0]);
  });

  it('draws the same grid for the same seed and another for another seed', async () => {
    const grid = async (seed: number) => {
      await augmentPreviewCommand(env()).handler({ ...args, seed, output: `s${seed}.png` });
      return readFile(join(dir, `s${seed}.png`));
    };
    const [a, again, b] = [await grid(1), await grid(1), await grid(2)];
    expect(again.equals(a)).toBe(true);
    expect(b.equals(a)).toBe(false);
  });

  it.each([
    [{ digits: 0 }, '--digits must be a whole number from 1 to 100, received 0'],
    [{ variants: 2.5 }, '--variants must be a whole number from 1 to 32, received 2.5'],
    [{ scale: 40 }, '--scale must be a whole number from 1 to 16, received 40'],
    [
      { seed: -1 },
      "--seed must be a whole number from 0 to 4294967295, received -1; leave it out to use the config's seed",
    ],
  ])('refuses %j before loading anything', async (bad, message) => {
    const run = augmentPreviewCommand(env()).handler({ ...args, ...bad });
    await expect(run).rejects.toThrow(new UsageError(message));
  });
});
