import { type ConvGeometry, tapRange } from './geometry.js';

/**
 * Writes the transposed im2col matrix of images [b0, b1) into `cols`, laid out [k][m]: row
 * k = (tap row, tap col, input channel), column m = (image - b0, out row, out col). Every element
 * is written, padding as 0, because the heap memory it lands in is not zeroed.
 *
 * The inner loop runs along m so writes are contiguous; x is read with a stride of sw·ci floats,
 * but one image of x stays in cache across all k rows. (Transposing each image to channel
 * planes first, for contiguous reads, measured slower.)
 */
export function fillColumnsTransposed(
  x: Float32Array,
  geo: ConvGeometry,
  b0: number,
  b1: number,
  cols: Float32Array,
): void {
  const m = (b1 - b0) * geo.p;
  for (let b = b0; b < b1; b++) {
    for (let fh = 0; fh < geo.fh; fh++) {
      for (let fw = 0; fw < geo.fw; fw++) {
        for (let c = 0; c < geo.ci; c++) {
          const row = ((fh * geo.fw + fw) * geo.ci + c) * m + (b - b0) * geo.p;
          fillTapRows(x, geo, b, fh, fw, c, cols, row);
        }
      }
    }
  }
}

/** One (image, tap, channel): oh·ow consecutive column entries starting at `dst`. */
function fillTapRows(
  x: Float32Array,
  geo: ConvGeometry,
  b: number,
  fh: number,
  fw: number,
  c: number,
  cols: Float32Array,
  dst: number,
): void {
  const rowStart = fh * geo.dh - geo.top;
  const colStart = fw * geo.dw - geo.left;
  const [ohLo, ohHi] = tapRange(geo.oh, geo.sh, rowStart, geo.h);
  const [owLo, owHi] = tapRange(geo.ow, geo.sw, colStart, geo.w);
  const step = geo.sw * geo.ci;
  cols.fill(0, dst, dst + ohLo * geo.ow);
  cols.fill(0, dst + ohHi * geo.ow, dst + geo.p);
  for (let oh = ohLo; oh < ohHi; oh++) {
    const out = dst + oh * geo.ow;
    const ih = oh * geo.sh + rowStart;
    let src = ((b * geo.h + ih) * geo.w + colStart + owLo * geo.sw) * geo.ci + c;
    // Explicit loops, not fill(): these padding runs are mostly empty, and a builtin call per
    // output row cost a quarter of the whole fill.
    for (let ow = 0; ow < owLo; ow++) cols[out + ow] = 0;
    for (let ow = owLo; ow < owHi; ow++, src += step) cols[out + ow] = x[src]!;
    for (let ow = owHi; ow < geo.ow; ow++) cols[out + ow] = 0;
  }
}

/**
 * Adds the im2col-shaped gradient `cols` ([m][k], m over images [b0, b1)) back onto the input
 * positions each entry was read from: the col2im half of the input gradient. `dx` must start
 * zeroed. Inner loop over input channels: contiguous in both arrays.
 */
export function scatterColumns(cols: Float32Array, geo: ConvGeometry, b0: number, b1: number, dx: Float32Array): void {
  for (let b = b0; b < b1; b++) {
    for (let oh = 0; oh < geo.oh; oh++) {
      for (let ow = 0; ow < geo.ow; ow++) {
        const m = (b - b0) * geo.p + oh * geo.ow + ow;
        scatterPosition(cols, geo, b, oh, ow, m * geo.k, dx);
      }
    }
  }
}

function scatterPosition(
  cols: Float32Array,
  geo: ConvGeometry,
  b: number,
  oh: number,
  ow: number,
  src: number,
  dx: Float32Array,
): void {
  const { ci } = geo;
  for (let fh = 0; fh < geo.fh; fh++) {
    const ih = oh * geo.sh + fh * geo.dh - geo.top;
    if (ih < 0 || ih >= geo.h) continue;
    for (let fw = 0; fw < geo.fw; fw++) {
      const iw = ow * geo.sw + fw * geo.dw - geo.left;
      if (iw < 0 || iw >= geo.w) continue;
      const dst = ((b * geo.h + ih) * geo.w + iw) * ci;
      const from = src + (fh * geo.fw + fw) * ci;
      for (let c = 0; c < ci; c++) dx[dst + c]! += cols[from + c]!;
    }
  }
}
