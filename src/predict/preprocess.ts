/**
 * A picture of a digit made into what an MNIST model was trained on, the way MNIST itself was
 * made (LeCun et al.): white ink on black, the ink's bounding box fitted into 20×20 keeping its
 * aspect ratio, placed in 28×28 so its centre of mass sits at the centre, values in [0, 1].
 * Pure: no I/O. Sizes other than 28 scale the 20/28 box with them.
 */
import type { GreyImage } from './image.js';

/** Ink after contrast stretching counts towards the bounding box above this: paper noise does not. */
const INK = 0.1;

/** White-on-black ink in [0, 1]: inverted when the border (the paper) is light, background stretched to 0. */
export function toInk(img: GreyImage): Float32Array {
  const paper = borderMean(img);
  const dark = paper > 0.5; // dark ink on light paper: a scan, a photo, a drawing app
  const ink = img.pixels.map((v) => (dark ? 1 - v : v));
  const bg = dark ? 1 - paper : paper;
  let max = 0;
  for (const v of ink) if (v > max) max = v;
  const span = max - bg;
  if (span <= 0) return new Float32Array(ink.length);
  return ink.map((v) => Math.min(1, Math.max(0, (v - bg) / span)));
}

/** The mean grey of the outermost ring of pixels. */
export function borderMean(img: GreyImage): number {
  const { width: w, height: h, pixels } = img;
  let sum = 0;
  let n = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (y !== 0 && y !== h - 1 && x !== 0 && x !== w - 1) continue;
      sum += pixels[y * w + x]!;
      n++;
    }
  }
  return sum / n;
}

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The smallest box holding every pixel above INK; undefined when there is none (a blank picture). */
export function inkBox(ink: Float32Array, width: number, height: number): Box | undefined {
  let [x0, y0, x1, y1] = [width, height, -1, -1];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (ink[y * width + x]! <= INK) continue;
      x0 = Math.min(x0, x);
      x1 = Math.max(x1, x);
      y0 = Math.min(y0, y);
      y1 = Math.max(y1, y);
    }
  }
  return x1 < 0 ? undefined : { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 };
}

/**
 * Area-average resampling of `box` of `src` to `w`×`h`: each output pixel is the mean of the source
 * area it covers, with fractional edges, so thin strokes fade instead of vanishing when shrunk.
 */
export function resampleArea(src: Float32Array, srcWidth: number, box: Box, w: number, h: number): Float32Array {
  const out = new Float32Array(w * h);
  const sx = box.width / w;
  const sy = box.height / h;
  for (let oy = 0; oy < h; oy++) {
    for (let ox = 0; ox < w; ox++) {
      let sum = 0;
      let area = 0;
      for (let y = Math.floor(oy * sy); y < Math.ceil((oy + 1) * sy); y++) {
        const cy = Math.min(y + 1, (oy + 1) * sy) - Math.max(y, oy * sy);
        for (let x = Math.floor(ox * sx); x < Math.ceil((ox + 1) * sx); x++) {
          const cx = Math.min(x + 1, (ox + 1) * sx) - Math.max(x, ox * sx);
          sum += cx * cy * src[(box.y + y) * srcWidth + box.x + x]!;
          area += cx * cy;
        }
      }
      out[oy * w + ox] = area > 0 ? sum / area : 0;
    }
  }
  return out;
}

/** Centre of mass (x, y) of a w×h patch, pixel centres at integer coordinates. */
export function centreOfMass(p: Float32Array, w: number): { x: number; y: number } {
  let [m, mx, my] = [0, 0, 0];
  for (let i = 0; i < p.length; i++) {
    m += p[i]!;
    mx += p[i]! * (i % w);
    my += p[i]! * Math.floor(i / w);
  }
  return m > 0 ? { x: mx / m, y: my / m } : { x: (w - 1) / 2, y: (p.length / w - 1) / 2 };
}

/** The MNIST recipe on one picture: `rows`×`cols` floats in [0, 1], or undefined when it holds no ink. */
export function toMnist(img: GreyImage, rows = 28, cols = 28): Float32Array | undefined {
  const ink = toInk(img);
  const box = inkBox(ink, img.width, img.height);
  if (!box) return undefined;
  const fitW = Math.round((cols * 20) / 28);
  const fitH = Math.round((rows * 20) / 28);
  const scale = Math.min(fitW / box.width, fitH / box.height);
  const w = Math.max(1, Math.min(fitW, Math.round(box.width * scale)));
  const h = Math.max(1, Math.min(fitH, Math.round(box.height * scale)));
  const patch = resampleArea(ink, img.width, box, w, h);
  const com = centreOfMass(patch, w);
  const dx = Math.round(cols / 2 - com.x);
  const dy = Math.round(rows / 2 - com.y);
  const out = new Float32Array(rows * cols);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const [tx, ty] = [x + dx, y + dy];
      if (tx >= 0 && tx < cols && ty >= 0 && ty < rows) out[ty * cols + tx] = patch[y * w + x]!;
    }
  }
  return out;
}
