/**
 * A run folder's trip from a worker back to the coordinator through Redis: the machines share no
 * file system, only the queue's Redis. Each file goes gzip-compressed in chunks (one huge value
 * stalls the server for every other client, and strings cap at 512 MiB), with a TTL so an upload
 * nobody collects does not stay in Redis for ever. The download trusts nothing in the manifest.
 */
import { createHash } from 'node:crypto';
import { constants, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import type { ChainableCommander, Redis } from 'ioredis';
import { z } from 'zod';

export const MAX_FILES = 64;
export const MAX_TOTAL_BYTES = 2 * 1024 ** 3; // uncompressed
const KEY_PATTERN = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}$/;
const SEGMENT_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,99}$/;
// Commands per pipeline: bounds the memory one round trip holds (8 × 4 MiB) and the round trips.
const BATCH = 8;

export class TransferError extends Error {
  override name = 'TransferError';
}

/** undefined when `p` is a safe relative path: 1–3 plain segments joined by '/'; else why not. */
export function pathProblem(p: string): string | undefined {
  if (p === '') return 'is empty';
  if (p.includes('\0')) return 'contains a NUL byte';
  if (p.includes('\\')) return 'contains a backslash';
  if (p.startsWith('/')) return 'is absolute';
  const segments = p.split('/');
  for (const s of segments) {
    if (s === '.' || s === '..') return `has a "${s}" segment`;
    if (s === '') return 'has an empty segment';
    if (!SEGMENT_PATTERN.test(s)) return `has segment ${JSON.stringify(s)}, not a plain name (no leading "." or "-")`;
  }
  return segments.length > 3 ? `has ${segments.length} segments, more than 3` : undefined;
}

const FileEntrySchema = z.strictObject({
  path: z.string().superRefine((p, ctx) => {
    const why = pathProblem(p);
    if (why) ctx.addIssue({ code: 'custom', message: `${JSON.stringify(p)} ${why}` });
  }),
  bytes: z.int().min(0).max(MAX_TOTAL_BYTES),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'not a lowercase hex sha256'),
  chunks: z.int().min(1),
});

export const ManifestSchema = z
  .strictObject({
    v: z.literal(1),
    key: z.string().regex(KEY_PATTERN, 'not a valid upload key'),
    files: z.array(FileEntrySchema).max(MAX_FILES, `more than ${MAX_FILES} files`),
    gzipBytes: z.int().min(0),
  })
  .superRefine((m, ctx) => {
    // Distinct files, none also a directory of another: else one write overwrites or blocks another.
    const paths = new Set(m.files.map((f) => f.path));
    const seen = new Set<string>();
    for (const [i, { path }] of m.files.entries()) {
      const segs = path.split('/');
      const dirs = segs.slice(0, -1).map((_, k) => segs.slice(0, k + 1).join('/'));
      const dir = dirs.find((d) => paths.has(d));
      const problem = seen.has(path) ? 'appears twice' : dir && `lies under "${dir}", which is also a file`;
      if (problem) ctx.addIssue({ code: 'custom', path: ['files', i, 'path'], message: `"${path}" ${problem}` });
      seen.add(path);
    }
    const total = m.files.reduce((sum, f) => sum + f.bytes, 0);
    if (total > MAX_TOTAL_BYTES) ctx.addIssue({ code: 'custom', path: ['files'], message: `${total} bytes in all` });
  });

export type FileEntry = z.infer<typeof FileEntrySchema>;
export type Manifest = z.infer<typeof ManifestSchema>;

function checkKey(key: string): void {
  if (!KEY_PATTERN.test(key)) throw new TransferError(`bad upload key ${JSON.stringify(key)}: not ${KEY_PATTERN}`);
}

const chunkKey = (key: string, file: number, chunk: number) => `mnist-run:files:${key}:${file}:${chunk}`;

async function exec(p: ChainableCommander): Promise<unknown[]> {
  const results = (await p.exec()) ?? [];
  for (const [err] of results) if (err) throw err;
  return results.map(([, value]) => value);
}

/** Regular files under `dir`, sorted, relative with '/'; symlinks are skipped: they could point anywhere. */
async function listFiles(dir: string, skip: (rel: string) => boolean, prefix = ''): Promise<string[]> {
  const found: string[] = [];
  for (const e of await readdir(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) found.push(...(await listFiles(dir, skip, rel)));
    else if (e.isFile() && !skip(rel)) found.push(rel);
  }
  return found.sort((a, b) => (a < b ? -1 : 1));
}

export async function uploadFolder(
  redis: Redis,
  dir: string,
  key: string,
  opts: { skip?: (rel: string) => boolean; chunkBytes?: number; ttlSeconds?: number } = {},
): Promise<Manifest> {
  checkKey(key);
  const { skip = () => false, chunkBytes = 4 * 1024 ** 2, ttlSeconds = 30 * 24 * 3600 } = opts;
  // Refuse here what the download would refuse, before anything goes into Redis.
  const paths = await listFiles(dir, skip);
  if (paths.length > MAX_FILES) throw new TransferError(`${dir} holds ${paths.length} files, more than ${MAX_FILES}`);
  let total = 0;
  for (const rel of paths) {
    const why = pathProblem(rel);
    if (why) throw new TransferError(`cannot upload ${JSON.stringify(rel)}: the path ${why}`);
    total += (await stat(join(dir, rel))).size;
  }
  if (total > MAX_TOTAL_BYTES) throw new TransferError(`${dir} holds ${total} bytes, more than ${MAX_TOTAL_BYTES}`);

  const manifest: Manifest = { v: 1, key, files: [], gzipBytes: 0 };
  for (const [index, path] of paths.entries()) {
    const hash = createHash('sha256');
    let [bytes, chunks, batched] = [0, 0, 0];
    let batch = redis.pipeline();
    const put = async (chunk: Buffer) => {
      batch.set(chunkKey(key, index, chunks++), chunk, 'EX', ttlSeconds);
      manifest.gzipBytes += chunk.length;
      if (++batched < BATCH) return;
      await exec(batch);
      [batch, batched] = [redis.pipeline(), 0];
    };
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    // O_NOFOLLOW: a file swapped for a symlink after the listing is refused, not followed.
    const file = await open(join(dir, path), constants.O_RDONLY | constants.O_NOFOLLOW);
    await pipeline(
      file.createReadStream(),
      async function* (source: AsyncIterable<Buffer>) {
        for await (const piece of source) {
          hash.update(piece);
          bytes += piece.length;
          yield piece;
        }
      },
      createGzip(),
      async (source: AsyncIterable<Buffer>) => {
        // Gathered in a list and joined once per chunk: joining per 16 KiB piece would copy each byte ~100 times.
        for await (const piece of source) {
          pending.push(piece);
          pendingBytes += piece.length;
          while (pendingBytes >= chunkBytes) {
            const all = Buffer.concat(pending);
            await put(all.subarray(0, chunkBytes));
            pending = [all.subarray(chunkBytes)];
            pendingBytes -= chunkBytes;
          }
        }
      },
    );
    if (pendingBytes > 0 || chunks === 0) await put(Buffer.concat(pending));
    // A retried upload under the same key may have left a longer file here: its next chunk would
    // fail the download's count check.
    await exec(batch.unlink(chunkKey(key, index, chunks)));
    manifest.files.push({ path, bytes, sha256: hash.digest('hex'), chunks });
  }
  return manifest;
}

function parseManifest(manifest: unknown): Manifest {
  const parsed = ManifestSchema.safeParse(manifest);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const where = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
  throw new TransferError(`manifest rejected${where ? ` at ${where.slice(1)}` : ''}: ${issue.message}`);
}

/** One file's chunks in order, a batch per round trip; a missing chunk, or one past the end, fails it. */
async function* chunksOf(redis: Redis, m: Manifest, index: number, count: (n: number) => void): AsyncGenerator<Buffer> {
  const f = m.files[index]!;
  for (let start = 0; start < f.chunks; start += BATCH) {
    const end = Math.min(f.chunks, start + BATCH);
    const p = redis.pipeline();
    for (let c = start; c < end; c++) p.getBuffer(chunkKey(m.key, index, c));
    const results = await exec(end === f.chunks ? p.exists(chunkKey(m.key, index, end)) : p);
    const chunks = results.slice(0, end - start) as (Buffer | null)[];
    const missing = chunks.findIndex((r) => !Buffer.isBuffer(r));
    if (missing >= 0) throw new TransferError(`"${f.path}": chunk ${start + missing} is missing (expired or deleted)`);
    if (results[end - start] === 1) throw new TransferError(`"${f.path}": more than ${f.chunks} chunks in Redis`);
    for (const chunk of chunks as Buffer[]) {
      count(chunk.length);
      yield chunk;
    }
  }
}

export async function downloadFolder(
  redis: Redis,
  manifest: unknown,
  target: string,
): Promise<{ files: number; bytes: number; gzipBytes: number }> {
  const m = parseManifest(manifest);
  await mkdir(target).catch((err: NodeJS.ErrnoException) => {
    throw err.code === 'EEXIST' ? new TransferError(`target ${target} already exists`) : err;
  });
  let [bytes, gzipBytes] = [0, 0];
  try {
    for (const [index, f] of m.files.entries()) {
      // join() stays inside target: the schema let through only plain segments.
      const out = join(target, f.path);
      await mkdir(dirname(out), { recursive: true });
      const hash = createHash('sha256');
      let written = 0;
      await pipeline(
        chunksOf(redis, m, index, (n) => {
          gzipBytes += n;
          if (gzipBytes > m.gzipBytes) throw new TransferError(`more gzip bytes than the declared ${m.gzipBytes}`);
        }),
        createGunzip(),
        // The gzip-bomb bound: zlib's maxOutputLength holds only for its one-shot calls, not for
        // streams, so count here and stop at the declared size before anything more is written.
        async function* (source: AsyncIterable<Buffer>) {
          for await (const piece of source) {
            written += piece.length;
            if (written > f.bytes) throw new TransferError(`"${f.path}": more than the declared ${f.bytes} bytes`);
            hash.update(piece);
            yield piece;
          }
        },
        createWriteStream(out, { flags: 'wx' }),
      ).catch((err: NodeJS.ErrnoException) => {
        if (err instanceof TransferError || !String(err.code).startsWith('Z_')) throw err;
        throw new TransferError(`"${f.path}": its chunks are not valid gzip (${err.message})`);
      });
      if (written !== f.bytes) throw new TransferError(`"${f.path}": ${written} bytes, declared ${f.bytes}`);
      if (hash.digest('hex') !== f.sha256) throw new TransferError(`"${f.path}": sha256 differs from the manifest's`);
      bytes += written;
    }
    if (gzipBytes !== m.gzipBytes) throw new TransferError(`${gzipBytes} gzip bytes, the manifest says ${m.gzipBytes}`);
  } catch (err) {
    await rm(target, { recursive: true, force: true });
    throw err;
  }
  return { files: m.files.length, bytes, gzipBytes };
}

/** UNLINK (freed off the main thread) of every chunk, 500 keys a command. */
export async function deleteUpload(redis: Redis, manifest: Manifest): Promise<void> {
  checkKey(manifest.key);
  const { key, files } = manifest;
  const keys = files.flatMap((f, i) => Array.from({ length: f.chunks }, (_, c) => chunkKey(key, i, c)));
  for (let i = 0; i < keys.length; i += 500) await redis.unlink(...keys.slice(i, i + 500));
}
