/**
 * checkpoint.bin: everything a stopped run needs to go on as if it had never stopped, written
 * atomically at the end of each epoch. One file, so no reader ever sees the weights of one epoch
 * with the optimizer of another: `MNRCKPT1`, a little-endian u32 header length, the JSON header,
 * then each tensor's bytes at the offset the header gives.
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { DataError } from '../errors.js';
import { RUN_FILES } from '../output-files.js';
import type { CallbackState, EpochLogs } from '../train/callbacks/types.js';
import type { TrainState } from '../train/loop.js';
import type { OptimizerState } from '../train/optimizer-state.js';
import { writeFileAtomic } from '../util/fs.js';

const MAGIC = 'MNRCKPT1';
const CHECKPOINT_VERSION = 1;

export interface Checkpoint {
  train: TrainState;
  weights: tf.Tensor[];
  optimizer: OptimizerState;
  /** Where each random stream stands: dropout's Math.random. Shuffle and augmentation derive from the epoch. */
  random: { dropout: number };
}

const TensorRef = z.strictObject({
  shape: z.array(z.number().int().nonnegative()),
  dtype: z.enum(['float32', 'int32']),
  offset: z.number().int().nonnegative(),
});
type TensorRef = z.infer<typeof TensorRef>;

const HeaderSchema = z.strictObject({
  version: z.literal(CHECKPOINT_VERSION),
  epoch: z.number().int().nonnegative(),
  stopped: z.boolean(),
  history: z.array(z.looseObject({ epoch: z.number().int().positive() })),
  callbacks: z.record(
    z.string(),
    z.strictObject({ values: z.record(z.string(), z.unknown()), tensors: z.array(TensorRef) }),
  ),
  weights: z.array(TensorRef),
  optimizer: z.strictObject({
    iterations: z.number().int().nonnegative(),
    tensors: z.array(z.strictObject({ key: z.string(), originalName: z.string().optional(), tensor: TensorRef })),
  }),
  random: z.strictObject({ dropout: z.number().int().nonnegative() }),
});

/**
 * Every tensor's values, float32 ones in one read-back: on a GPU each read-back is a round trip
 * (and a lost-device test counts them), so they are joined on the device first.
 */
async function readAll(tensors: tf.Tensor[]): Promise<(Float32Array | Int32Array)[]> {
  for (const t of tensors)
    if (t.dtype !== 'float32' && t.dtype !== 'int32') throw new Error(`cannot checkpoint a ${t.dtype} tensor`);
  const floats = tensors.filter((t) => t.dtype === 'float32');
  const joined = floats.length ? tf.tidy(() => tf.concat(floats.map((t) => t.reshape([-1])))) : undefined;
  const all = joined ? ((await joined.data()) as Float32Array) : new Float32Array(0);
  joined?.dispose();
  let at = 0;
  return Promise.all(
    tensors.map(async (t) => {
      if (t.dtype === 'int32') return (await t.data()) as Int32Array;
      at += t.size;
      return all.subarray(at - t.size, at);
    }),
  );
}

/** Lays tensors out one after another, 8-byte aligned; the header keeps where each went. */
class Blobs {
  readonly parts: Uint8Array[] = [];
  size = 0;
  add(t: tf.Tensor, data: Float32Array | Int32Array): TensorRef {
    const ref = { shape: t.shape, dtype: t.dtype, offset: this.size } as TensorRef;
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    this.parts.push(bytes);
    const pad = (8 - (bytes.length % 8)) % 8;
    if (pad) this.parts.push(new Uint8Array(pad));
    this.size += bytes.length + pad;
    return ref;
  }
}

export async function writeCheckpoint(runDir: string, c: Checkpoint): Promise<void> {
  const states = Object.entries(c.train.callbacks);
  const order = [
    ...c.weights,
    ...c.optimizer.tensors.map((t) => t.tensor),
    ...states.flatMap(([, s]) => s.tensors ?? []),
  ];
  const values = await readAll(order);
  const blobs = new Blobs();
  let next = 0;
  const ref = (t: tf.Tensor) => blobs.add(t, values[next++]!);
  const weights = c.weights.map(ref);
  const optimizer = {
    iterations: c.optimizer.iterations,
    tensors: c.optimizer.tensors.map((t) => ({ key: t.key, originalName: t.originalName, tensor: ref(t.tensor) })),
  };
  const callbacks: Record<string, { values: Record<string, unknown>; tensors: TensorRef[] }> = {};
  for (const [name, s] of states) callbacks[name] = { values: s.values, tensors: (s.tensors ?? []).map(ref) };
  const header = {
    version: CHECKPOINT_VERSION,
    epoch: c.train.epoch,
    stopped: c.train.stopped,
    history: c.train.history,
    callbacks,
    weights,
    optimizer,
    random: c.random,
  };
  const json = Buffer.from(JSON.stringify(header));
  const head = Buffer.alloc(MAGIC.length + 4);
  head.write(MAGIC, 0, 'latin1');
  head.writeUInt32LE(json.length, MAGIC.length);
  const pad = new Uint8Array((8 - ((head.length + json.length) % 8)) % 8);
  await writeFileAtomic(join(runDir, RUN_FILES.checkpoint), Buffer.concat([head, json, pad, ...blobs.parts]));
}

/** The run's last checkpoint; undefined when it has none (it stopped in its first epoch). */
export async function readCheckpoint(runDir: string): Promise<Checkpoint | undefined> {
  const file = join(runDir, RUN_FILES.checkpoint);
  const bytes = await readFile(file).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (!bytes) return undefined;
  const damaged = (why: string) =>
    new DataError(`${file} is damaged (${why}): this run cannot resume; start it again as a new run`);
  if (bytes.length < MAGIC.length + 4 || bytes.toString('latin1', 0, MAGIC.length) !== MAGIC)
    throw damaged('not a mnist-run checkpoint');
  const length = bytes.readUInt32LE(MAGIC.length);
  const start = MAGIC.length + 4;
  if (start + length > bytes.length) throw damaged('truncated header');
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString('utf8', start, start + length));
  } catch {
    throw damaged('unreadable header');
  }
  const parsed = HeaderSchema.safeParse(raw);
  if (!parsed.success) throw damaged(parsed.error.issues[0]?.message ?? 'unexpected header');
  const h = parsed.data;
  const dataStart = start + length + ((8 - ((start + length) % 8)) % 8);
  const tensor = (ref: TensorRef) => {
    const count = ref.shape.reduce((a, b) => a * b, 1);
    const from = dataStart + ref.offset;
    if (from + count * 4 > bytes.length) throw damaged('truncated data');
    const copy = bytes.buffer.slice(bytes.byteOffset + from, bytes.byteOffset + from + count * 4);
    return tf.tensor(ref.dtype === 'int32' ? new Int32Array(copy) : new Float32Array(copy), ref.shape, ref.dtype);
  };
  const callbacks: Record<string, CallbackState> = {};
  for (const [name, s] of Object.entries(h.callbacks))
    callbacks[name] = { values: s.values, tensors: s.tensors.map(tensor) };
  return {
    train: { epoch: h.epoch, stopped: h.stopped, history: h.history as unknown as EpochLogs[], callbacks },
    weights: h.weights.map(tensor),
    optimizer: {
      iterations: h.optimizer.iterations,
      tensors: h.optimizer.tensors.map((t) => ({ key: t.key, originalName: t.originalName, tensor: tensor(t.tensor) })),
    },
    random: h.random,
  };
}

export const removeCheckpoint = (runDir: string) => rm(join(runDir, RUN_FILES.checkpoint), { force: true });

/** Frees a checkpoint's tensors that nothing took over. */
export function disposeCheckpoint(c: Checkpoint): void {
  tf.dispose([...c.weights, ...c.optimizer.tensors.map((t) => t.tensor)]);
}
