import { describe, expect, it } from 'vitest';
import { type Affine, aboutCentre, IDENTITY, rotation, shift } from '../src/augment/matrix.js';
import { drawParams } from '../src/augment/params.js';
import { affineTransform, type Fill, makeAugmenter } from '../src/augment/transform.js';
import { AugmentSchema, type AugmentSpec } from '../src/config/augment.js';
import { makeRng } from '../src/util/random.js';

const MODES = ['constant', 'nearest', 'reflect', 'wrap'] as const;
const spec = (s: Partial<AugmentSpec> = {}): AugmentSpec => AugmentSchema.parse(s);

function randomImage(rows: number, cols: number, seed = 7): Float32Array {
  const rng = makeRng(seed);
  return Float32Array.from({ length: rows * cols }, () => rng());
}

function transform(
  src: Float32Array,
  rows: number,
  cols: number,
  m: Affine,
  fill: Fill = { mode: 'constant', cval: 0 },
): number[] {
  return Array.from(affineTransform(src, rows, cols, m, fill, new Float32Array(rows * cols)));
}

/** A rows×cols image, 0 everywhere but 1 at (r, c). */
function dot(rows: number, cols: number, r: number, c: number): Float32Array {
  const img = new Float32Array(rows * cols);
  img[r * cols + c] = 1;
  return img;
}

describe('affineTransform', () => {
  it.each(MODES)('returns the input exactly for the identity matrix (fill %s)', (mode) => {
    const img = randomImage(28, 28);
    expect(transform(img, 28, 28, IDENTITY, { mode, cval: 0.5 })).toEqual(Array.from(img));
  });

  it.each([5, 6, 28])(
    'turns an n×n image (n = %i) a quarter clockwise for +90°: transpose, then mirror left-right',
    (n) => {
      // The matrix maps output (r, c) to source (n-1-c, r), so out[r][c] = in[n-1-c][r]: row r of the
      // output is column r of the input read bottom-up, i.e. the transpose mirrored left-right (np.rot90(x, -1)).
      // Only a rotation about (n-1)/2 makes this exact; Keras's n/2 + 0.5 would also shift by a pixel.
      const img = randomImage(n, n);
      const expected = Array.from({ length: n * n }, (_, i) => img[(n - 1 - (i % n)) * n + Math.floor(i / n)]!);
      expect(transform(img, n, n, aboutCentre(rotation(90), n, n))).toEqual(expected);
      expect(transform(dot(n, n, 0, 0), n, n, aboutCentre(rotation(90), n, n))).toEqual(
        Array.from(dot(n, n, 0, n - 1)),
      );
    },
  );

  it.each([
    [3, 0],
    [-2, 0],
    [0, 4],
    [0, -1],
    [2, -3],
  ])('moves a one-pixel image by (%i, %i) pixels when the source is shifted the opposite way', (dr, dc) => {
    const out = transform(dot(9, 9, 4, 4), 9, 9, shift(-dr, -dc));
    expect(out).toEqual(Array.from(dot(9, 9, 4 + dr, 4 + dc)));
  });

  it('averages neighbours when shifted by half a pixel (bilinear)', () => {
    const img = Float32Array.from([0, 1, 0.5, 0.25, 1, 0, 0.5, 1]); // 2 rows × 4 columns
    const cols = transform(img, 2, 4, shift(0, 0.5), { mode: 'nearest', cval: 0 });
    expect(cols).toEqual([0.5, 0.75, 0.375, 0.25, 0.5, 0.25, 0.75, 1]);
    const rows = transform(img, 2, 4, shift(0.5, 0), { mode: 'nearest', cval: 0 });
    expect(rows).toEqual([0.5, 0.5, 0.5, 0.625, 1, 0, 0.5, 1]);
  });

  // One row [a b c d] = [0.1 0.2 0.3 0.4] read 2 to the left and 2 to the right of each pixel;
  // k = cval = 0.9. Keras's pictures: constant kk|abcd|kk, nearest aa|abcd|dd, reflect ba|abcd|dc, wrap cd|abcd|ab.
  const [a, b, c, d, k] = [0.1, 0.2, 0.3, 0.4, 0.9].map(Math.fround) as [number, number, number, number, number];
  it.each([
    ['constant', [k, k, a, b], [c, d, k, k]],
    ['nearest', [a, a, a, b], [c, d, d, d]],
    ['reflect', [b, a, a, b], [c, d, d, c]],
    ['wrap', [c, d, a, b], [c, d, a, b]],
  ] as const)('fills %s past the edges as Keras draws it', (mode, fromLeft, fromRight) => {
    const row = Float32Array.from([a, b, c, d]);
    expect(transform(row, 1, 4, shift(0, -2), { mode, cval: k })).toEqual(fromLeft);
    expect(transform(row, 1, 4, shift(0, 2), { mode, cval: k })).toEqual(fromRight);
  });

  it('fills constant at any point outside the image, even half a pixel out, as scipy order-1 does', () => {
    const row = Float32Array.from([a, b, c, d]);
    const out = transform(row, 1, 4, shift(0, -0.5), { mode: 'constant', cval: k });
    expect(out).toEqual([k, Math.fround((a + b) / 2), Math.fround((b + c) / 2), Math.fround((c + d) / 2)]);
  });
});

const STRONG = {
  rotationRange: 40,
  widthShiftRange: 0.3,
  heightShiftRange: 4,
  zoomRange: [0.5, 1.6] as [number, number],
  shearRange: 30,
};

describe('makeAugmenter', () => {
  const images = Float32Array.from({ length: 16 * 28 * 28 }, (_, i) => ((i * 7919) % 256) / 255);

  it.each(MODES.flatMap((mode) => [0, 1].map((cval) => [mode, cval] as const)))(
    'keeps every pixel in [0, 1] (fill %s, cval %i)',
    (fillMode, cval) => {
      const out = makeAugmenter(spec({ ...STRONG, fillMode, cval }), 3, 28, 28)(images, 16, 1, 0);
      expect(Math.min(...out)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...out)).toBeLessThanOrEqual(1);
    },
  );

  it('returns a copy of the input when every range is 0, and leaves the input untouched otherwise', () => {
    const before = images.slice();
    const plain = makeAugmenter(spec(), 3, 28, 28)(images, 16, 1, 0);
    expect(plain).toEqual(images);
    expect(plain).not.toBe(images);
    makeAugmenter(spec(STRONG), 3, 28, 28)(images, 16, 1, 0);
    expect(images).toEqual(before);
  });

  it('draws from (seed, epoch, batch) alone: reproducible, in any batch order, and new each epoch', () => {
    const run = (seed: number, epoch: number, batch: number) =>
      makeAugmenter(spec(STRONG), seed, 28, 28)(images, 16, epoch, batch);
    const augment = makeAugmenter(spec(STRONG), 5, 28, 28);
    const later = augment(images, 16, 2, 3);
    augment(images, 16, 2, 1);
    expect(augment(images, 16, 2, 3)).toEqual(later);
    expect(run(5, 2, 3)).toEqual(later);
    for (const other of [run(5, 3, 3), run(5, 2, 4), run(6, 2, 3)]) expect(other).not.toEqual(later);
  });

  it('gives each image of a batch its own transformation', () => {
    const same = new Float32Array(2 * 28 * 28).fill(0);
    same.set(images.subarray(0, 784), 0);
    same.set(images.subarray(0, 784), 784);
    const out = makeAugmenter(spec(STRONG), 1, 28, 28)(same, 2, 1, 0);
    expect(out.subarray(0, 784)).not.toEqual(out.subarray(784));
  });

  it('says what it expected when the batch size does not match rows × cols', () => {
    expect(() => makeAugmenter(spec(STRONG), 1, 28, 28)(new Float32Array(700), 1, 1, 0)).toThrow(
      'augment: expected 1 images of 28x28 (784 values), received 700 values',
    );
  });
});

describe('drawParams', () => {
  it('draws every parameter within its range, fractions of the size below 1 and pixels above', () => {
    const rng = makeRng(11);
    const draws = Array.from({ length: 2000 }, () =>
      drawParams(spec({ ...STRONG, horizontalFlip: true }), rng, 20, 30),
    );
    const range = (key: keyof (typeof draws)[number]): [number, number] => [
      Math.min(...draws.map((p) => Number(p[key]))),
      Math.max(...draws.map((p) => Number(p[key]))),
    ];
    const within = (key: keyof (typeof draws)[number], lo: number, hi: number) => {
      const [min, max] = range(key);
      expect(min).toBeGreaterThanOrEqual(lo);
      expect(max).toBeLessThanOrEqual(hi);
      expect(max - min).toBeGreaterThan(0.9 * (hi - lo)); // and uses most of it
    };
    within('theta', -40, 40);
    within('shiftCols', -9, 9); // 0.3 of 30 columns
    within('shiftRows', -4, 4); // 4 pixels
    within('shear', -30, 30);
    within('zoomRows', 0.5, 1.6);
    within('zoomCols', 0.5, 1.6);
    const flipped = draws.filter((p) => p.flipCols).length / draws.length;
    expect(flipped).toBeGreaterThan(0.45);
    expect(flipped).toBeLessThan(0.55);
    expect(draws.some((p) => p.flipRows)).toBe(false);
  });

  it('leaves the other draws unchanged when one transformation is switched on', () => {
    const draw = (s: Partial<AugmentSpec>) => drawParams(spec(s), makeRng(4), 28, 28);
    expect(draw({ rotationRange: 10, verticalFlip: true }).theta).toBe(draw({ rotationRange: 10 }).theta);
    expect(draw({ rotationRange: 10, zoomRange: 0.2 }).theta).toBe(draw({ rotationRange: 10 }).theta);
  });
});
