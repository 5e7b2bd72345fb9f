/**
 * Reuses output buffers of disposed tensors. A fresh 1.6 MB Float32Array costs ~0.7 ms on this
 * machine (calloc → mmap → a page fault per 4 KB on first write), more than the native kernel
 * that fills it; Adam alone makes dozens per step.
 *
 * Invariant: a buffer is recycled only if nothing outside the backend can still see it. Buffers
 * enter as "owned" when a native kernel allocates them, and leave that set ("escape") when their
 * values are read out (dataSync/data/buffer return the array itself, not a copy) or when a cpu
 * kernel returns a view of them (slice returns `subarray`). Reused buffers hold stale data: every
 * native kernel writes all of its output. Small buffers are owned but not pooled: a whole-step
 * kernel may then write a bias or a batch norm parameter in place, as it does the kernels (a fresh
 * buffer per small variable per step cost the notebook CNN's step ~1 ms of tensor bookkeeping).
 */
const MIN_POOLED = 1024; // smaller arrays come from V8's heap cheaply
const MAX_POOLED_BYTES = 256 * 2 ** 20;

export class BufferPool {
  private readonly free = new Map<number, Float32Array[]>();
  private readonly owned = new WeakSet<ArrayBufferLike>();
  private pooledBytes = 0;

  take(length: number): Float32Array {
    const reused = length >= MIN_POOLED ? this.free.get(length)?.pop() : undefined;
    if (reused) this.pooledBytes -= reused.byteLength;
    const out = reused ?? new Float32Array(length);
    this.owned.add(out.buffer);
    return out;
  }

  /** Values of a tensor whose data was just deleted; recycled only if still owned. */
  recycle(values: unknown): void {
    if (!(values instanceof Float32Array) || !this.owned.has(values.buffer)) return;
    this.owned.delete(values.buffer);
    if (values.length < MIN_POOLED || this.pooledBytes + values.byteLength > MAX_POOLED_BYTES) return;
    const list = this.free.get(values.length) ?? [];
    list.push(values);
    this.free.set(values.length, list);
    this.pooledBytes += values.byteLength;
  }

  /** The buffer is visible outside the backend: never recycle it. */
  escape(values: unknown): void {
    if (ArrayBuffer.isView(values)) this.owned.delete(values.buffer);
  }

  /** Whether nothing outside the backend can see `values`: it may then be rewritten in place. */
  owns(values: unknown): boolean {
    return ArrayBuffer.isView(values) && this.owned.has(values.buffer);
  }

  stats(): { pooledBytes: number; pooledBuffers: number } {
    let pooledBuffers = 0;
    for (const list of this.free.values()) pooledBuffers += list.length;
    return { pooledBytes: this.pooledBytes, pooledBuffers };
  }

  clear(): void {
    this.free.clear();
    this.pooledBytes = 0;
  }
}
