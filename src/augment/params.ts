import { type AugmentSpec, zoomBounds } from '../config/augment.js';
import {
  type Affine,
  aboutCentre,
  compose,
  composeAll,
  flipCols,
  flipRows,
  rotation,
  shear,
  shift,
  zoom,
} from './matrix.js';

/** One image's random transformation, drawn like Keras's `get_random_transform`. */
export interface TransformParams {
  /** Rotation, degrees. */
  theta: number;
  /** Shift of the source point, pixels, along rows (Keras's tx) and columns (ty). */
  shiftRows: number;
  shiftCols: number;
  /** Shear, degrees. */
  shear: number;
  /** Zoom factors of rows (Keras's zx) and columns (zy); above 1 shrinks the image. */
  zoomRows: number;
  zoomCols: number;
  flipCols: boolean;
  flipRows: boolean;
}

const uniform = (rng: () => number, lo: number, hi: number) => lo + (hi - lo) * rng();

/** Keras: a range below 1 is a fraction of the size, otherwise pixels. */
const shiftPixels = (range: number, size: number) => (range < 1 ? range * size : range);

/**
 * Draws every parameter for every image, whether its range is 0 or not, so that turning one
 * transformation on or off leaves the others' draws unchanged: 8 numbers per image, in a fixed order.
 */
export function drawParams(spec: AugmentSpec, rng: () => number, rows: number, cols: number): TransformParams {
  const [zlo, zhi] = zoomBounds(spec);
  const dr = shiftPixels(spec.heightShiftRange, rows);
  const dc = shiftPixels(spec.widthShiftRange, cols);
  return {
    theta: uniform(rng, -spec.rotationRange, spec.rotationRange),
    shiftRows: uniform(rng, -dr, dr),
    shiftCols: uniform(rng, -dc, dc),
    shear: uniform(rng, -spec.shearRange, spec.shearRange),
    zoomRows: uniform(rng, zlo, zhi),
    zoomCols: uniform(rng, zlo, zhi),
    flipCols: rng() < 0.5 && spec.horizontalFlip,
    flipRows: rng() < 0.5 && spec.verticalFlip,
  };
}

/**
 * The one output-to-source matrix for `p`: Keras's rotation · shift · shear · zoom about the centre,
 * then the flips, which Keras applies to the transformed image and here fold into the same map.
 */
export function paramsMatrix(p: TransformParams, rows: number, cols: number): Affine {
  const geometry = aboutCentre(
    composeAll(rotation(p.theta), shift(p.shiftRows, p.shiftCols), shear(p.shear), zoom(p.zoomRows, p.zoomCols)),
    rows,
    cols,
  );
  let m = geometry;
  if (p.flipCols) m = compose(m, flipCols(cols));
  if (p.flipRows) m = compose(m, flipRows(rows));
  return m;
}
