import type { Grey } from '../util/png.js';
import type { Augmenter } from './transform.js';

export type { Grey };

export interface PreviewOptions {
  /** `count` images of rows×cols, values in [0, 1]. */
  images: Float32Array;
  count: number;
  rows: number;
  cols: number;
  augment: Augmenter;
  variants: number;
  /** Each image pixel becomes scale×scale output pixels. */
  scale: number;
}

/** Mid-grey between cells, so a fill that reaches a cell's edge (black, white, wrapped ink) shows where it ends. */
const GAP_GREY = 110;

/**
 * One row per image: the original, then `variants` augmented versions. Variant v is what the
 * training loop would feed in epoch v for a batch holding exactly these images, so the picture shows
 * the same random stream training uses. Pixels stay as MNIST stores them: white ink on black.
 */
export function previewGrid(o: PreviewOptions): Grey {
  const columns = [o.images];
  for (let v = 1; v <= o.variants; v++) columns.push(o.augment(o.images, o.count, v, 0));
  const gap = o.scale;
  const leftGap = 3 * gap; // sets the original apart from its variants
  const cellW = o.cols * o.scale;
  const cellH = o.rows * o.scale;
  const width = gap + cellW + leftGap + o.variants * (cellW + gap);
  const height = gap + o.count * (cellH + gap);
  const pixels = new Uint8Array(width * height).fill(GAP_GREY);
  columns.forEach((batch, k) => {
    const x = k === 0 ? gap : gap + cellW + leftGap + (k - 1) * (cellW + gap);
    for (let i = 0; i < o.count; i++) {
      const cell = batch.subarray(i * o.rows * o.cols, (i + 1) * o.rows * o.cols);
      drawCell({ width, height, pixels }, cell, o, x, gap + i * (cellH + gap));
    }
  });
  return { width, height, pixels };
}

function drawCell(grid: Grey, cell: Float32Array, o: PreviewOptions, x0: number, y0: number): void {
  for (let y = 0; y < o.rows * o.scale; y++) {
    const srcRow = Math.floor(y / o.scale) * o.cols;
    const outRow = (y0 + y) * grid.width + x0;
    for (let x = 0; x < o.cols * o.scale; x++) {
      const v = cell[srcRow + Math.floor(x / o.scale)]!;
      grid.pixels[outRow + x] = Math.round(Math.min(1, Math.max(0, v)) * 255);
    }
  }
}
