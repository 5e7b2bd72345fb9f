import { alloc, f32, type Info, type WasmBackend } from './memory.js';

const BLOCK = 32;

/** dst[c][r] = src[r][c] for a row-major rows × cols matrix, in cache-sized blocks. */
export function transpose2d(src: Float32Array, rows: number, cols: number, dst: Float32Array): void {
  for (let r0 = 0; r0 < rows; r0 += BLOCK) {
    const r1 = Math.min(rows, r0 + BLOCK);
    for (let c0 = 0; c0 < cols; c0 += BLOCK) {
      const c1 = Math.min(cols, c0 + BLOCK);
      for (let r = r0; r < r1; r++) {
        for (let c = c0; c < c1; c++) dst[c * rows + r] = src[r * cols + c]!;
      }
    }
  }
}

/** A fresh [1, cols, rows] tensor holding the transpose of `info` read as rows × cols. */
export function transposedCopy(backend: WasmBackend, info: Info, rows: number, cols: number): Info {
  const out = alloc(backend, [1, cols, rows]);
  transpose2d(f32(backend, info), rows, cols, f32(backend, out));
  return out;
}
