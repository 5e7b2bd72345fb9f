import { describe, expect, it } from 'vitest';
import type { GreyImage } from '../src/predict/image.js';
import { rgbaToGrey, sniffFormat } from '../src/predict/image.js';
import { centreOfMass, inkBox, toInk, toMnist } from '../src/predict/preprocess.js';

/** A w×h picture of `paper` with a filled ink rectangle at (x, y, rw, rh). */
function picture(w: number, h: number, rect: [number, number, number, number], ink: number, paper: number): GreyImage {
  const pixels = new Float32Array(w * h).fill(paper);
  const [x0, y0, rw, rh] = rect;
  for (let y = y0; y < y0 + rh; y++) for (let x = x0; x < x0 + rw; x++) pixels[y * w + x] = ink;
  return { width: w, height: h, pixels };
}

describe('toMnist', () => {
  it.each([
    ['white on black, off-centre', picture(28, 28, [1, 2, 6, 9], 1, 0)],
    ['dark on light, 90×120', picture(90, 120, [60, 10, 20, 50], 0, 1)],
    ['grey ink on grey paper', picture(50, 40, [5, 5, 10, 30], 0.2, 0.8)],
  ])('puts the centre of mass at 14,14 (±1): %s', (_, img) => {
    const out = toMnist(img)!;
    const com = centreOfMass(out, 28);
    expect(Math.abs(com.x - 14)).toBeLessThanOrEqual(1);
    expect(Math.abs(com.y - 14)).toBeLessThanOrEqual(1);
    expect(Math.max(...out)).toBeCloseTo(1, 5);
    expect(Math.min(...out)).toBe(0);
  });

  it('fits the ink into 20×20 keeping its aspect ratio (a 10×40 bar becomes 5×20)', () => {
    const box = inkBox(toMnist(picture(60, 60, [20, 10, 10, 40], 0, 1))!, 28, 28)!;
    expect([box.width, box.height]).toEqual([5, 20]);
  });

  it('inverts dark-on-light pictures and leaves white-on-black ones', () => {
    expect(Array.from(toInk(picture(3, 3, [1, 1, 1, 1], 0, 1)))).toEqual([0, 0, 0, 0, 1, 0, 0, 0, 0]);
    expect(Array.from(toInk(picture(3, 3, [1, 1, 1, 1], 1, 0)))).toEqual([0, 0, 0, 0, 1, 0, 0, 0, 0]);
  });

  it('finds no digit in a blank picture', () => {
    expect(toMnist(picture(10, 10, [0, 0, 0, 0], 0, 1))).toBeUndefined();
  });
});

describe('decoding', () => {
  it('composites alpha on white: transparent black is paper', () => {
    const g = rgbaToGrey(2, 1, Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 255]));
    expect(Array.from(g.pixels)).toEqual([1, 0]);
  });

  it('tells the format by the first bytes', () => {
    expect(sniffFormat(Uint8Array.from([0x89, 0x50, 0x4e, 0x47]))).toBe('png');
    expect(sniffFormat(Uint8Array.from([0xff, 0xd8, 0xff, 0xe0]))).toBe('jpeg');
    expect(sniffFormat(Uint8Array.from([0, 0, 8, 3]))).toBe('idx');
    expect(sniffFormat(Uint8Array.from([0x47, 0x49, 0x46, 0x38]))).toBeUndefined(); // GIF
  });
});
