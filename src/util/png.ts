import pngjs from 'pngjs';

/** A greyscale picture, one byte per pixel, row-major. */
export interface Grey {
  width: number;
  height: number;
  pixels: Uint8Array;
}

/** An 8-bit greyscale PNG (colour type 0) of `grey`: augment-preview's grid and the report's digits. */
export function encodePng(grey: Grey): Buffer {
  const png = new pngjs.PNG({ width: grey.width, height: grey.height });
  png.data = Buffer.from(grey.pixels.buffer, grey.pixels.byteOffset, grey.pixels.byteLength);
  return pngjs.PNG.sync.write(png, { colorType: 0, inputColorType: 0, bitDepth: 8 });
}
