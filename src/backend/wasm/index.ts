import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { BackendError } from '../../errors.js';
import { makeBatchMatMul } from './batch-mat-mul.js';
import { makeConv2DBackpropFilter } from './conv2d-backprop-filter.js';
import { makeConv2DBackpropInput } from './conv2d-backprop-input.js';
import { makeTile } from './tile.js';

type Make = (original: tf.KernelFunc | undefined) => tf.KernelFunc;

/**
 * Kernels this project registers on tfjs-backend-wasm 4.22.0, found by profiling a CNN's training
 * step. Conv2DBackpropFilter is the only one missing there; the other three exist but were the
 * slowest ops of the step, so they are replaced (Conv2DBackpropInput) or wrapped (the rest).
 */
export const WASM_KERNELS: readonly { name: string; make: Make }[] = [
  { name: tf.Conv2DBackpropFilter, make: () => makeConv2DBackpropFilter() },
  { name: tf.Conv2DBackpropInput, make: () => makeConv2DBackpropInput() },
  { name: tf.BatchMatMul, make: (original) => makeBatchMatMul(required(original, tf.BatchMatMul)) },
  { name: tf.Tile, make: (original) => makeTile(required(original, tf.Tile)) },
];

function required(original: tf.KernelFunc | undefined, name: string): tf.KernelFunc {
  if (original) return original;
  throw new BackendError(
    `the wasm backend has no ${name} kernel to build on\n  fix: reinstall @tensorflow/tfjs-backend-wasm@4.22.0 (\`npm ci\`)`,
  );
}

/**
 * Our kernel functions carry the registration they replaced, so registering again wraps the
 * package's kernel rather than our wrapper. A global symbol, because tfjs's registry outlives
 * this module when a test runner reloads it.
 */
const REPLACED = Symbol.for('mnist-run.wasm-kernels.replaced');
type Tagged = tf.KernelFunc & { [REPLACED]?: tf.KernelConfig | undefined };

function register(name: string, make: Make): void {
  const current = tf.getKernel(name, 'wasm');
  const replaced = current ? ((current.kernelFunc as Tagged)[REPLACED] ?? current) : undefined;
  if (current) tf.unregisterKernel(name, 'wasm');
  const kernelFunc: Tagged = make(replaced?.kernelFunc);
  kernelFunc[REPLACED] = replaced;
  // The package's setup (binding its C function) must still run when the backend initialises,
  // because wrappers call the kernel they replaced.
  tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc, setupFunc: replaced?.setupFunc });
}

const BINARIES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm'];

/** The package's dist/ folder: the node bundle would find it by itself, but say so explicitly. */
function wasmDir(): string {
  return dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm'));
}

/**
 * Prepares the 'wasm' backend: points it at its .wasm binaries and registers our kernels.
 * Idempotent (registering again replaces our kernels, never wraps them twice). Does not activate
 * the backend: call `tf.setBackend('wasm')` afterwards. Run it before the backend first
 * initialises, or the binary path is ignored.
 *
 * Threads: none in Node. tfjs reports no multithread support when IS_NODE (tfjs issue #3830),
 * and forcing the flag fails because its pthread workers are blob: URLs, which Node's Worker
 * rejects (ERR_WORKER_PATH). So the single-threaded SIMD binary is what runs.
 */
export async function initWasmBackend(): Promise<void> {
  const dir = wasmDir();
  const missing = BINARIES.filter((name) => !existsSync(join(dir, name)));
  if (missing.length > 0) {
    throw new BackendError(
      `the wasm backend's binaries are missing from ${dir}: ${missing.join(', ')}\n` +
        '  fix: reinstall @tensorflow/tfjs-backend-wasm@4.22.0 (`npm ci`)',
    );
  }
  setWasmPaths(`${dir}/`);
  for (const { name, make } of WASM_KERNELS) register(name, make);
}

/** Threads the initialised wasm backend runs on (1 in Node, see initWasmBackend); 1 before init. */
export function wasmThreadsCount(): number {
  try {
    return getThreadsCount();
  } catch {
    return 1;
  }
}
