/**
 * IDX files (the MNIST container format): a 4-byte magic number `00 00 <type> <rank>`, `rank`
 * big-endian uint32 dimensions, then the elements in row-major order. Only unsigned bytes (0x08)
 * are supported, which is what MNIST, Fashion-MNIST and EMNIST ship.
 */
import { createHash } from 'node:crypto';
import { open, readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { createGunzip, gunzip } from 'node:zlib';
import { DataError } from '../errors.js';

export interface IdxFile {
  file: string;
  dims: number[];
  /** A view into the file's (decompressed) bytes after the header; not a copy. */
  data: Uint8Array;
  /** Of the file's bytes as stored (compressed for .gz), so it matches `sha256sum`. */
  sha256: string;
}

const UNSIGNED_BYTE = 0x08;
const TYPE_NAMES: Record<number, string> = {
  9: 'signed byte',
  11: '16-bit integer',
  12: '32-bit integer',
  13: '32-bit float',
  14: '64-bit float',
};
const GZIP_MAGIC = [0x1f, 0x8b] as const;
const gunzipAsync = promisify(gunzip);

/** Reads, decompresses (for `.gz`) and checks one IDX file; every failure is a DataError naming `file`. */
export async function readIdx(file: string): Promise<IdxFile> {
  const stored = await readStored(file);
  const sha256 = createHash('sha256').update(stored).digest('hex');
  const bytes = file.endsWith('.gz') ? await decompress(file, stored) : stored;
  const { dims, headerBytes } = parseHeader(file, bytes);
  checkLength(file, dims, bytes.length - headerBytes);
  // A plain Uint8Array view, not a Buffer: Buffer#slice does not copy, Uint8Array#slice does.
  const data = new Uint8Array(bytes.buffer, bytes.byteOffset + headerBytes, bytes.length - headerBytes);
  return { file, dims, data, sha256 };
}

/** The largest header: magic number and 255 dimensions. */
const MAX_HEADER = 4 + 4 * 255;

/**
 * Only the dimensions of an IDX file, from its first bytes (decompressing only those of a `.gz`):
 * what a config is checked against without reading 47 MB of pixels.
 */
export async function readIdxHeader(file: string): Promise<Pick<IdxFile, 'file' | 'dims'>> {
  // A deflate stream gives its first bytes from far fewer than 64 KiB of input.
  const head = await readHead(file, file.endsWith('.gz') ? 65_536 : MAX_HEADER);
  const bytes = file.endsWith('.gz') ? await decompressHead(file, head) : head;
  return { file, dims: parseHeader(file, bytes).dims };
}

async function readHead(file: string, n: number): Promise<Buffer> {
  try {
    const handle = await open(file);
    try {
      const { buffer, bytesRead } = await handle.read(Buffer.alloc(n), 0, n, 0);
      return buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unknown error';
    throw new DataError(`${file}: cannot read the file (${code}); check the path and its permissions`);
  }
}

/** The first bytes a gzip stream's start decompresses to (a truncated stream is fine here: only the header is wanted). */
async function decompressHead(file: string, stored: Buffer): Promise<Buffer> {
  if (stored[0] !== GZIP_MAGIC[0] || stored[1] !== GZIP_MAGIC[1]) return decompress(file, stored);
  const chunks: Buffer[] = [];
  const gz = createGunzip();
  const done = new Promise<void>((resolve) => {
    gz.on('data', (c: Buffer) => chunks.push(c));
    gz.on('end', resolve);
    gz.on('error', () => resolve());
  });
  gz.end(stored);
  await done;
  return Buffer.concat(chunks);
}

/** An IDX file of unsigned bytes, header included: for tests and fixtures. */
export function writeIdx(dims: readonly number[], data: ArrayLike<number>): Buffer {
  const expected = dims.reduce((a, b) => a * b, 1);
  if (expected !== data.length) {
    throw new RangeError(`writeIdx: dims ${dims.join('×')} need ${expected} bytes, received ${data.length}`);
  }
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt8(UNSIGNED_BYTE, 2);
  header.writeUInt8(dims.length, 3);
  for (const [i, d] of dims.entries()) header.writeUInt32BE(d, 4 + 4 * i);
  return Buffer.concat([header, Uint8Array.from(data)]);
}

async function readStored(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unknown error';
    throw new DataError(`${file}: cannot read the file (${code}); check the path and its permissions`);
  }
}

async function decompress(file: string, stored: Buffer): Promise<Buffer> {
  if (stored[0] !== GZIP_MAGIC[0] || stored[1] !== GZIP_MAGIC[1]) {
    throw new DataError(
      `${file}: named .gz but is not gzip: it starts with ${hexBytes(stored.subarray(0, 2))}, gzip starts with 0x1f 0x8b; ` +
        'remove the .gz suffix if the file is plain IDX, or download it again',
    );
  }
  try {
    return await gunzipAsync(stored);
  } catch (err) {
    throw new DataError(`${file}: the gzip data is corrupt (${(err as Error).message}); download the file again`);
  }
}

function parseHeader(file: string, bytes: Uint8Array): { dims: number[]; headerBytes: number } {
  if (bytes.length < 4) {
    throw new DataError(`${file}: too short for an IDX header: need at least 4 bytes, file has ${bytes.length}`);
  }
  checkMagic(file, bytes);
  const rank = bytes[3]!;
  const headerBytes = 4 + 4 * rank;
  if (bytes.length < headerBytes) {
    throw new DataError(
      `${file}: truncated header: rank ${rank} needs ${headerBytes} header bytes, file has ${bytes.length}; download the file again`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, headerBytes);
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i));
  return { dims, headerBytes };
}

function checkMagic(file: string, bytes: Uint8Array): void {
  const received = hexWord(bytes);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    // A gzip file without the .gz suffix is the usual cause; say so rather than just "bad magic".
    const hint =
      bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1]
        ? 'the file looks gzip-compressed: add a .gz suffix to its name or gunzip it'
        : 'is this an IDX file? download it again';
    throw new DataError(
      `${file}: bad magic number: expected 0x00000801 (labels) or 0x00000803 (images), received ${received}; ${hint}`,
    );
  }
  const type = bytes[2]!;
  if (type !== UNSIGNED_BYTE) {
    const name = TYPE_NAMES[type];
    const what =
      name === undefined
        ? `unknown element type 0x${hex2(type)}`
        : `unsupported element type 0x${hex2(type)} (${name})`;
    throw new DataError(`${file}: ${what} in magic number ${received}: only 0x08 (unsigned byte) is supported`);
  }
  if (bytes[3] === 0) {
    throw new DataError(`${file}: rank 0 in magic number ${received}: expected 1 (labels) or 3 (images)`);
  }
}

function checkLength(file: string, dims: number[], received: number): void {
  const expected = dims.reduce((a, b) => a * b, 1);
  if (received === expected) return;
  const what = dims.length === 1 ? 'labels' : dims.length === 3 ? 'pixels' : 'data';
  const says = `header says ${dims.join('×')} = ${fmt(expected)} bytes of ${what}, file has ${fmt(received)}`;
  if (received < expected) {
    throw new DataError(`${file}: truncated: ${says}; the download was probably cut short, fetch it again`);
  }
  throw new DataError(
    `${file}: ${fmt(received - expected)} extra bytes: ${says}; the file may be corrupt or two files joined, fetch it again`,
  );
}

const fmt = (n: number): string => n.toLocaleString('en-US');
const hex2 = (n: number): string => n.toString(16).padStart(2, '0');
const hexBytes = (b: Uint8Array): string =>
  b.length === 0 ? 'nothing (empty file)' : Array.from(b, (x) => `0x${hex2(x)}`).join(' ');
const hexWord = (b: Uint8Array): string => `0x${Array.from(b.subarray(0, 4), hex2).join('')}`;
