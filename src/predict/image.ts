/**
 * Decoding a user's picture (PNG or JPEG, any size, colour or grey, with or without alpha) into one
 * grey value per pixel: 0 black … 1 white, alpha composited on white paper.
 */
import jpeg from 'jpeg-js';
import pngjs from 'pngjs';
import { DataError } from '../errors.js';

/** A grey picture: `pixels[y * width + x]` in [0, 1], 0 black, 1 white. */
export interface GreyImage {
  width: number;
  height: number;
  pixels: Float32Array;
}

export type ImageFormat = 'png' | 'jpeg' | 'idx';

export const SUPPORTED = 'PNG, JPEG, or an IDX images file (MNIST format, plain or .gz)';

/** The format by the file's first bytes, not its name: a .png that is really a JPEG still reads. */
export function sniffFormat(bytes: Uint8Array): ImageFormat | undefined {
  const starts = (...b: number[]) => b.every((v, i) => bytes[i] === v);
  if (starts(0x89, 0x50, 0x4e, 0x47)) return 'png';
  if (starts(0xff, 0xd8, 0xff)) return 'jpeg';
  if (starts(0x00, 0x00, 0x08) || starts(0x1f, 0x8b)) return 'idx';
  return undefined;
}

/** RGBA bytes to grey: Rec. 601 luma, then alpha over white, as a digit drawn on transparent paper looks. */
export function rgbaToGrey(width: number, height: number, rgba: Uint8Array): GreyImage {
  const pixels = new Float32Array(width * height);
  for (let i = 0; i < pixels.length; i++) {
    const luma = (0.299 * rgba[4 * i]! + 0.587 * rgba[4 * i + 1]! + 0.114 * rgba[4 * i + 2]!) / 255;
    const alpha = rgba[4 * i + 3]! / 255;
    pixels[i] = alpha * luma + (1 - alpha);
  }
  return { width, height, pixels };
}

/** Decodes a PNG or JPEG; a DataError names the file and what went wrong. */
export function decodePicture(file: string, bytes: Uint8Array, format: 'png' | 'jpeg'): GreyImage {
  try {
    if (format === 'png') {
      const png = pngjs.PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      return rgbaToGrey(png.width, png.height, png.data);
    }
    // Limits keep a hostile or huge file from taking all memory: 100 MP is far past any photo of a digit.
    const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: 100 });
    return rgbaToGrey(img.width, img.height, img.data);
  } catch (err) {
    throw new DataError(
      `${file}: cannot decode it as ${format.toUpperCase()} (${(err as Error).message}); ` +
        'is the file complete? Save it again or convert it to PNG',
    );
  }
}
