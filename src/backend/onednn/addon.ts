/**
 * The N-API addon's surface, and loading it. The addon reads and writes the Float32Arrays that
 * tfjs's cpu backend keeps per tensor, so nothing is copied on the way in or out.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { OpCodes } from './op-codes.js';

type F32 = Float32Array;
type Dims = readonly number[];

/**
 * Every entry checks its arguments (count, types, and each buffer's length against the sizes it
 * is given) and throws a TypeError or RangeError naming itself and the argument rather than
 * reading or writing out of bounds; the kernels never send such calls.
 */
export interface OnednnAddon {
  /**
   * `matmul`: the library that runs matrix products here, "oneDNN brgemm" or "OpenBLAS <core>";
   * `cachedPrimitives`: how many oneDNN primitives and conv plans its one cache holds now.
   */
  info(): { version: string; threads: number; cpuRuntime: string; matmul: string; cachedPrimitives: number };
  setThreads(n: number): number;
  /** The codes native/src/op_codes.h declares; op-codes.ts holds the same. */
  opCodes(): OpCodes;
  matMul(
    a: F32,
    b: F32,
    out: F32,
    batchA: number,
    batchB: number,
    m: number,
    n: number,
    k: number,
    tA: boolean,
    tB: boolean,
  ): void;
  fusedMatMul(
    a: F32,
    b: F32,
    out: F32,
    batchA: number,
    batchB: number,
    m: number,
    n: number,
    k: number,
    tA: boolean,
    tB: boolean,
    bias: F32 | null,
    activation: number,
  ): void;
  unary(code: number, alpha: number, beta: number, x: F32, out: F32): void;
  binary(code: number, a: F32, b: F32, out: F32, shape: Dims, stridesA: Dims, stridesB: Dims): void;
  step(alpha: number, x: F32, out: F32): void;
  tile(x: F32, out: F32, inShape: Dims, reps: Dims): void;
  batchNorm(
    x: F32,
    out: F32,
    channels: number,
    mean: F32,
    variance: F32,
    offset: F32 | null,
    scale: F32 | null,
    epsilon: number,
  ): void;
  /** Training batch norm over the last axis: writes out and the batch mean and (biased) variance. */
  batchNormTrain(
    x: F32,
    out: F32,
    channels: number,
    scale: F32,
    offset: F32,
    epsilon: number,
    mean: F32,
    variance: F32,
  ): void;
  /** Its full gradient (through the batch statistics): dx, dScale, dOffset. */
  batchNormGrad(
    dy: F32,
    x: F32,
    channels: number,
    scale: F32,
    mean: F32,
    variance: F32,
    epsilon: number,
    dx: F32,
    dScale: F32,
    dOffset: F32,
  ): void;
  softmax(x: F32, out: F32, rows: number, cols: number): void;
  /** hyper: [beta1, beta2, learningRate, epsilon, 1 - beta1^t, 1 - beta2^t] */
  adam(w: F32, g: F32, m: F32, v: F32, outW: F32, outM: F32, outV: F32, hyper: F32): void;
  /** conv geometry: [n, inH, inW, inC, outH, outW, outC, fH, fW, strideH, strideW, dilH, dilW, padTop, padLeft, padBottom, padRight] */
  conv2d(x: F32, w: F32, out: F32, geometry: Dims, bias: F32 | null, relu: boolean): void;
  conv2dBackpropInput(dy: F32, w: F32, dx: F32, geometry: Dims): void;
  conv2dBackpropFilter(x: F32, dy: F32, dw: F32, geometry: Dims): void;
  /** pool geometry: [n, inH, inW, c, outH, outW, fH, fW, strideH, strideW, padTop, padLeft] */
  maxPool(x: F32, out: F32, geometry: Dims): void;
  maxPoolGrad(dy: F32, x: F32, dx: F32, geometry: Dims): void;
  /** A whole training step of a stack of dense layers (see dense-stack.ts for the arguments). */
  denseStackStep(
    x: F32,
    targets: F32,
    rows: number,
    dims: Dims,
    activations: Dims,
    params: (F32 | null)[],
    newParams: (F32 | null)[],
    state: (F32 | null)[],
    newState: (F32 | null)[],
    loss: number,
    optimizer: number,
    hyper: F32,
    metrics: Float64Array,
    /** The batch's samples in x, which then holds the whole training set; null: x is the batch. */
    at?: Uint32Array | null,
  ): void;
  /** A whole training step of a sequential stack of layers (see layer-stack.ts for the arguments). */
  layerStackStep(
    x: F32,
    targets: F32,
    rows: number,
    layers: number[][],
    params: (F32 | null)[],
    newParams: (F32 | null)[],
    state: (F32 | null)[],
    newState: (F32 | null)[],
    moving: (F32 | null)[],
    newMoving: (F32 | null)[],
    masks: (F32 | null)[],
    loss: number,
    optimizer: number,
    hyper: F32,
    metrics: Float64Array,
  ): void;
  /** The same stack's outputs in inference, into `out` (rows × the top layer's width). */
  layerStackPredict(
    x: F32,
    rows: number,
    layers: number[][],
    params: (F32 | null)[],
    moving: (F32 | null)[],
    out: F32,
  ): void;
  /** Reduces the middle axis of x viewed as [outer, reduce, inner]. */
  reduce(code: number, x: F32, out: F32, outer: number, reduce: number, inner: number): void;
}

/** From the repo root; works for both src/ (vitest) and dist/ (built) since both sit three levels deep. */
export const ADDON_PATH = fileURLToPath(new URL('../../../native/build/Release/onednn_addon.node', import.meta.url));
export const BUILD_COMMAND = 'npx node-gyp rebuild -C native';

export type AddonLoad = { ok: true; addon: OnednnAddon } | { ok: false; reason: string; fix: string };

/**
 * Settings the native libraries read once, when the addon loads them; a user's own values win.
 * - OpenMP threads spin between parallel regions by default (~0.3 s in libgomp). On a shared
 *   2-core machine a spinning thread starves the one it waits for (a CNN step ran 4x slower with
 *   2 threads than with 1); a short spin keeps hand-offs fast when quiet and yields when not.
 * - OpenBLAS 0.3.21 takes AMD Zen 4 for Haswell and runs AVX2 kernels at ~90 GFLOP/s a core;
 *   its SkylakeX (AVX-512) kernels reach ~170 on the same core.
 */
export function nativeEnvDefaults(env: NodeJS.ProcessEnv, cpuFlags: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (env.OMP_WAIT_POLICY === undefined && env.GOMP_SPINCOUNT === undefined) out.GOMP_SPINCOUNT = '20000';
  const avx512 = ['avx512f', 'avx512cd', 'avx512bw', 'avx512dq', 'avx512vl'].every((f) =>
    new RegExp(`\\b${f}\\b`).test(cpuFlags),
  );
  if (env.OPENBLAS_CORETYPE === undefined && avx512) out.OPENBLAS_CORETYPE = 'SkylakeX';
  return out;
}

function cpuFlags(): string {
  try {
    return readFileSync('/proc/cpuinfo', 'utf8').match(/^flags\s*:(.*)$/m)?.[1] ?? '';
  } catch {
    return ''; // not Linux: keep the libraries' own detection
  }
}

/** Loads the addon at `path`; never throws, so "not built" is an answer rather than a crash. */
export function loadAddonAt(path: string): AddonLoad {
  if (!existsSync(path)) {
    return { ok: false, reason: `the oneDNN addon is not built (no ${path})`, fix: `build it: \`${BUILD_COMMAND}\`` };
  }
  try {
    Object.assign(process.env, nativeEnvDefaults(process.env, cpuFlags()));
    return { ok: true, addon: createRequire(import.meta.url)(path) as OnednnAddon };
  } catch (err) {
    const message = (err as Error).message;
    if (/lib(dnnl|openblas)/.test(message)) {
      return {
        ok: false,
        reason: `the oneDNN addon cannot find a library it was built against: ${message}`,
        fix: `\`apt-get install libdnnl-dev libopenblas-dev\`, then \`${BUILD_COMMAND}\``,
      };
    }
    return {
      ok: false,
      reason: `the oneDNN addon failed to load: ${message}`,
      fix: `rebuild it: \`${BUILD_COMMAND}\``,
    };
  }
}

let loaded: AddonLoad | undefined;

/** The repo's build, loaded once per process (a second dlopen of a .node file fails). */
export function loadAddon(): AddonLoad {
  loaded ??= loadAddonAt(ADDON_PATH);
  return loaded;
}
