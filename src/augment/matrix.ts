/**
 * 2-D affine maps on (row, col) pixel coordinates, as the top two rows of a 3×3 homogeneous matrix:
 * [a, b, c, d, e, f] maps (r, c) to (a·r + b·c + c, d·r + e·c + f). Like scipy's affine_transform
 * (which Keras calls), a matrix given to the resampler maps OUTPUT pixels to SOURCE points.
 */
export type Affine = readonly [number, number, number, number, number, number];

export const IDENTITY: Affine = [1, 0, 0, 0, 1, 0];

/** `outer · inner`: apply `inner` first. */
export function compose(outer: Affine, inner: Affine): Affine {
  const [a, b, c, d, e, f] = outer;
  const [p, q, r, s, t, u] = inner;
  return [a * p + b * s, a * q + b * t, a * r + b * u + c, d * p + e * s, d * q + e * t, d * r + e * u + f];
}

export const composeAll = (...ms: Affine[]): Affine => ms.reduce(compose, IDENTITY);

/** cos(90°) is 6e-17 in floating point; snapping it to 0 keeps quarter turns exact pixel permutations. */
const snap = (x: number) => (Math.abs(x - Math.round(x)) < 1e-12 ? Math.round(x) : x);

const radians = (deg: number) => (deg * Math.PI) / 180;

/** Keras's rotation matrix, in (row, col) order. */
export function rotation(deg: number): Affine {
  const cos = snap(Math.cos(radians(deg)));
  const sin = snap(Math.sin(radians(deg)));
  return [cos, -sin, 0, sin, cos, 0];
}

export const shift = (rows: number, cols: number): Affine => [1, 0, rows, 0, 1, cols];

/** Keras 2.x shear (angle in degrees): columns lean by sin, rows shrink by cos. */
export function shear(deg: number): Affine {
  return [1, -snap(Math.sin(radians(deg))), 0, 0, snap(Math.cos(radians(deg))), 0];
}

export const zoom = (rowFactor: number, colFactor: number): Affine => [rowFactor, 0, 0, 0, colFactor, 0];

/** Mirrors columns (left-right) or rows (upside down) of a rows×cols image; each is its own inverse. */
export const flipCols = (cols: number): Affine => [1, 0, 0, 0, -1, cols - 1];
export const flipRows = (rows: number): Affine => [-1, 0, rows - 1, 0, 1, 0];

/**
 * `m` applied about the image centre instead of pixel (0, 0). The centre of pixel indices 0..n-1 is
 * (n-1)/2; Keras uses n/2 + 0.5, one pixel off, which would make a quarter turn also shift the image.
 */
export function aboutCentre(m: Affine, rows: number, cols: number): Affine {
  const cr = (rows - 1) / 2;
  const cc = (cols - 1) / 2;
  return composeAll(shift(cr, cc), m, shift(-cr, -cc));
}

export const isIdentity = (m: Affine) => m.every((v, i) => v === IDENTITY[i]);
