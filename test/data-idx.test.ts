import { createHash } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { readIdx, readIdxHeader, writeIdx } from '../src/data/idx.js';
import { DataError } from '../src/errors.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'data-idx-'));
});

/** Writes `bytes` as `name` in the temp folder and returns the DataError message, folder replaced by <dir>. */
async function failure(name: string, bytes: Uint8Array): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, bytes);
  const err: unknown = await readIdx(file).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DataError);
  return (err as DataError).message.replaceAll(dir, '<dir>');
}

/** `bytes` with the byte at `at` replaced. */
const patch = (bytes: Uint8Array, at: number, value: number): Uint8Array =>
  Uint8Array.from(bytes, (b, i) => (i === at ? value : b));

const pixels = Array.from({ length: 2 * 2 * 3 }, (_, i) => i * 20);
const images = writeIdx([2, 2, 3], pixels);
const mnistSized = writeIdx([3, 28, 28], new Uint8Array(3 * 28 * 28));

describe('writeIdx', () => {
  it('writes the unsigned-byte magic, big-endian dims, then the data', () => {
    expect([...writeIdx([2, 258], new Uint8Array(516)).subarray(0, 12)]).toEqual([0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 1, 2]);
    expect([...writeIdx([3], [7, 8, 9])]).toEqual([0, 0, 8, 1, 0, 0, 0, 3, 7, 8, 9]);
  });

  it('refuses data that does not match the dims', () => {
    expect(() => writeIdx([2, 2], [1, 2, 3])).toThrow('writeIdx: dims 2×2 need 4 bytes, received 3');
  });
});

describe('readIdx reads good files', () => {
  it.each([
    ['plain', 'img', images],
    ['gzipped', 'img.gz', gzipSync(images)],
  ])('reads a %s file: dims, data and the sha256 of the bytes as stored', async (_, name, stored) => {
    const file = join(dir, name);
    await writeFile(file, stored);
    const idx = await readIdx(file);
    expect(idx.file).toBe(file);
    expect(idx.dims).toEqual([2, 2, 3]);
    expect([...idx.data]).toEqual(pixels);
    expect(idx.sha256).toBe(createHash('sha256').update(stored).digest('hex'));
  });
});

describe('readIdx names the file and what is wrong', () => {
  it.each([
    [
      'a truncated images file',
      'images',
      mnistSized.subarray(0, mnistSized.length - 100),
      '<dir>/images: truncated: header says 3×28×28 = 2,352 bytes of pixels, file has 2,252; the download was probably cut short, fetch it again',
    ],
    [
      'a labels file with extra bytes',
      'labels',
      Buffer.concat([writeIdx([5], [1, 2, 3, 4, 5]), Buffer.from([0, 0])]),
      '<dir>/labels: 2 extra bytes: header says 5 = 5 bytes of labels, file has 7; the file may be corrupt or two files joined, fetch it again',
    ],
    [
      'a bad magic number, in hex',
      'text',
      Buffer.from('hello world'),
      '<dir>/text: bad magic number: expected 0x00000801 (labels) or 0x00000803 (images), received 0x68656c6c; is this an IDX file? download it again',
    ],
    [
      'a gzip file without the .gz suffix',
      'zipped',
      gzipSync(images),
      '<dir>/zipped: bad magic number: expected 0x00000801 (labels) or 0x00000803 (images), received 0x1f8b0800; the file looks gzip-compressed: add a .gz suffix to its name or gunzip it',
    ],
    [
      'a known but unsupported element type',
      'floats',
      patch(images, 2, 0x0d),
      '<dir>/floats: unsupported element type 0x0d (32-bit float) in magic number 0x00000d03: only 0x08 (unsigned byte) is supported',
    ],
    [
      'an unknown element type',
      'odd',
      patch(images, 2, 0x07),
      '<dir>/odd: unknown element type 0x07 in magic number 0x00000703: only 0x08 (unsigned byte) is supported',
    ],
    [
      'rank 0',
      'scalar',
      Uint8Array.of(0, 0, 8, 0),
      '<dir>/scalar: rank 0 in magic number 0x00000800: expected 1 (labels) or 3 (images)',
    ],
    [
      'a header cut inside the dims',
      'short-header',
      images.subarray(0, 10),
      '<dir>/short-header: truncated header: rank 3 needs 16 header bytes, file has 10; download the file again',
    ],
    [
      'a file shorter than the magic number',
      'tiny',
      Uint8Array.of(0, 0),
      '<dir>/tiny: too short for an IDX header: need at least 4 bytes, file has 2',
    ],
    [
      'a .gz that is not gzip',
      'plain.gz',
      images,
      '<dir>/plain.gz: named .gz but is not gzip: it starts with 0x00 0x00, gzip starts with 0x1f 0x8b; remove the .gz suffix if the file is plain IDX, or download it again',
    ],
    [
      'an empty .gz',
      'empty.gz',
      new Uint8Array(0),
      '<dir>/empty.gz: named .gz but is not gzip: it starts with nothing (empty file), gzip starts with 0x1f 0x8b; remove the .gz suffix if the file is plain IDX, or download it again',
    ],
    [
      'a gzip stream cut short',
      'cut.gz',
      gzipSync(images).subarray(0, 20),
      '<dir>/cut.gz: the gzip data is corrupt (unexpected end of file); download the file again',
    ],
  ])('rejects %s', async (_, name, bytes, message) => {
    expect(await failure(name, bytes)).toBe(message);
  });

  it('rejects a file that does not exist, with the error code', async () => {
    const err = await readIdx(join(dir, 'nope')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as Error).message.replaceAll(dir, '<dir>')).toBe(
      '<dir>/nope: cannot read the file (ENOENT); check the path and its permissions',
    );
  });
});

describe('readIdxHeader reads only the dimensions', () => {
  const big = writeIdx(
    [60, 28, 28],
    new Uint8Array(60 * 28 * 28).map((_, i) => i % 251),
  );
  it.each([
    ['plain', 'h.idx', big],
    ['gzipped', 'h.idx.gz', gzipSync(big)],
  ])('of a %s file', async (_, name, stored) => {
    const file = join(dir, name);
    await writeFile(file, stored);
    expect(await readIdxHeader(file)).toEqual({ file, dims: [60, 28, 28] });
  });

  it.each([
    [
      'a header cut short',
      'hcut',
      Buffer.from([0, 0, 8, 3, 0, 0, 0, 60]),
      '<dir>/hcut: truncated header: rank 3 needs 16 header bytes, file has 8; download the file again',
    ],
    [
      'a bad magic number',
      'hmagic',
      Buffer.from([1, 2, 3, 4]),
      '<dir>/hmagic: bad magic number: expected 0x00000801 (labels) or 0x00000803 (images), received 0x01020304; is this an IDX file? download it again',
    ],
    [
      'a .gz that is not gzip',
      'hplain.gz',
      big.subarray(0, 64),
      '<dir>/hplain.gz: named .gz but is not gzip: it starts with 0x00 0x00, gzip starts with 0x1f 0x8b; remove the .gz suffix if the file is plain IDX, or download it again',
    ],
  ])('rejects %s, naming the file', async (_, name, bytes, message) => {
    const file = join(dir, name);
    await writeFile(file, bytes);
    const err = await readIdxHeader(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as Error).message.replaceAll(dir, '<dir>')).toBe(message);
  });
});
