/**
 * What `predict` scores: each IMAGE argument read into model-ready samples. A PNG or JPEG is one
 * sample, made by the MNIST recipe (preprocess.ts); an IDX images file is one sample per image,
 * already in MNIST form, so it is only scaled to [0, 1] as training scales it.
 */
import { readFile } from 'node:fs/promises';
import { readIdx } from '../data/idx.js';
import { DataError } from '../errors.js';
import { decodePicture, SUPPORTED, sniffFormat } from './image.js';
import { toMnist } from './preprocess.js';

export interface Sample {
  file: string;
  /** The image's index within an IDX file; absent for a picture. */
  index?: number;
  pixels: Float32Array;
}

export async function readSamples(file: string, rows: number, cols: number): Promise<Sample[]> {
  const bytes = await readFile(file).catch((err: NodeJS.ErrnoException) => {
    throw new DataError(`${file}: cannot read the file (${err.code ?? err.message}); check the path`);
  });
  const format = sniffFormat(bytes);
  if (format === undefined) {
    throw new DataError(`${file}: not a supported image: expected ${SUPPORTED}; convert it to PNG`);
  }
  if (format === 'idx') return idxSamples(file, rows, cols);
  const pixels = toMnist(decodePicture(file, bytes, format), rows, cols);
  if (!pixels) throw new DataError(`${file}: the picture is blank (one shade everywhere): no digit to read`);
  return [{ file, pixels }];
}

async function idxSamples(file: string, rows: number, cols: number): Promise<Sample[]> {
  const idx = await readIdx(file);
  const [count, r, c] = idx.dims;
  if (idx.dims.length !== 3 || r !== rows || c !== cols) {
    throw new DataError(
      `${file}: the model takes ${rows}×${cols} images, this IDX file holds ${idx.dims.join('×')}` +
        `${idx.dims.length === 3 ? '' : ' (expected rank 3: count×rows×cols; is it a labels file?)'}; ` +
        'pass an images file of the size the run trained on',
    );
  }
  const per = rows * cols;
  return Array.from({ length: count! }, (_, index) => ({
    file,
    index,
    pixels: Float32Array.from(idx.data.subarray(index * per, (index + 1) * per), (v) => v / 255),
  }));
}
