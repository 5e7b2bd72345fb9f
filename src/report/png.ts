import { encodePng } from '../util/png.js';

/** Pixels in [0, 1] (as the trainer sees them) to a data: URI, ink dark on white like a page. */
export function digitDataUri(values: ArrayLike<number>, width: number, height: number): string {
  const pixels = new Uint8Array(width * height);
  for (let i = 0; i < pixels.length; i++) pixels[i] = 255 - Math.round(Math.min(1, Math.max(0, values[i] ?? 0)) * 255);
  return `data:image/png;base64,${encodePng({ width, height, pixels }).toString('base64')}`;
}
