/**
 * Whether a model trains within a GPU adapter's limits, checked before training: WebGPU refuses a
 * buffer over maxBufferSize, or bound over maxStorageBufferBindingSize, with a validation error deep
 * inside a step. Here it is one message naming the layer, the size and the fix.
 */
import type * as tf from '@tensorflow/tfjs';
import { formatBytes } from '../../util/bytes.js';
import type { AdapterSummary } from './adapters.js';

/** A size and the limit it is over, rounded so they still read as different (in bytes if need be). */
function sizes(bytes: number, limit: number): [string, string] {
  const [a, b] = [formatBytes(bytes), formatBytes(limit)];
  return a === b ? [`${bytes} bytes`, `${limit} bytes`] : [a, b];
}
const product = (dims: readonly (number | null)[]) => dims.reduce<number>((a, d) => a * (d ?? 1), 1);

/**
 * tfjs-backend-webgpu 4.22 (frozen) unfolds a convolution's patches into one buffer (im2col) only when
 * its output spans few 32×32 tiles: batch·⌈outH·outW/32⌉·⌈filters/32⌉ at most the backend's
 * thresholdToIncreaseWorkgroups, 8 (16 on Intel Xe and later). Otherwise it convolves in place
 * (Conv2DMMProgram), as its backward kernels always do; a pointwise or whole-image convolution is a
 * plain matrix product. Patches counted in every case would refuse models that train (cnn.yaml at
 * batch 256 on a GPU binding 128 MiB, WebGPU's default), for a buffer that is never made.
 */
const IM2COL_MAX_TILES = 16;

function unfoldsPatches(layer: tf.layers.Layer, batchSize: number, out: number[], inShape: (number | null)[]): boolean {
  const c = layer.getConfig() as {
    kernelSize?: number[];
    strides?: number[];
    dilationRate?: number | number[];
    padding?: string;
  };
  const [kh, kw] = c.kernelSize ?? [1, 1];
  const pair = (v: number | number[] | undefined) => (Array.isArray(v) ? v : [v ?? 1, v ?? 1]);
  const [sh, sw] = pair(c.strides);
  const [dh, dw] = pair(c.dilationRate);
  const pointwise = kh === 1 && kw === 1 && sh === 1 && sw === 1 && dh === 1 && dw === 1;
  const wholeImage = kh === inShape[1] && kw === inShape[2] && c.padding === 'valid';
  if (pointwise || wholeImage) return false;
  const tiles = batchSize * Math.ceil((out[1]! * out[2]!) / 32) * Math.ceil(out[3]! / 32);
  return tiles <= IM2COL_MAX_TILES;
}

/** A single-input layer's input shape, batch first; undefined for anything else. */
function inputShape(layer: tf.layers.Layer): (number | null)[] | undefined {
  try {
    const input = layer.input;
    return Array.isArray(input) ? undefined : input.shape;
  } catch {
    return undefined; // tfjs throws for a layer used at several places
  }
}

/**
 * The largest buffers one layer needs in a training step: its weights (their gradients and optimizer
 * slots are the same size), its output (and its gradient), a convolution's unfolded patches. Shapes
 * are channels-last, as every config builds them.
 */
function layerBuffers(layer: tf.layers.Layer, batchSize: number): { what: string; bytes: number }[] {
  const out: { what: string; bytes: number }[] = [];
  for (const w of layer.weights)
    out.push({ what: `weight ${w.name} ${JSON.stringify(w.shape)}`, bytes: product(w.shape) * 4 });
  const shape = layer.outputShape as (number | null)[];
  if (Array.isArray(shape) && shape.every((d) => d === null || typeof d === 'number')) {
    out.push({ what: `output at batch size ${batchSize}`, bytes: batchSize * product(shape.slice(1)) * 4 });
  }
  const kernel = layer.getClassName() === 'Conv2D' ? layer.weights.find((w) => w.shape.length === 4) : undefined;
  const inShape = kernel ? inputShape(layer) : undefined;
  if (kernel && inShape && Array.isArray(shape) && shape.length === 4) {
    const dims = shape.map((d) => d ?? 1);
    if (unfoldsPatches(layer, batchSize, dims, inShape)) {
      // [batch·outH·outW, kh·kw·inC]: every output position's patch, one row each.
      const [kh, kw, inC] = kernel.shape as number[];
      const bytes = batchSize * dims[1]! * dims[2]! * kh! * kw! * inC! * 4;
      out.push({ what: `unfolded patches at batch size ${batchSize}`, bytes });
    }
  }
  return out;
}

/** Why `model` cannot train at `batchSize` on `adapter`, or undefined when every buffer fits. */
export function fitsOnDevice(model: tf.LayersModel, batchSize: number, adapter: AdapterSummary): string | undefined {
  const limit = Math.min(adapter.maxBufferSize, adapter.maxStorageBufferBindingSize);
  if (!(limit > 0)) return undefined;
  const layers = model.layers.filter((l) => l.getClassName() !== 'InputLayer');
  for (const [i, layer] of layers.entries()) {
    for (const { what, bytes } of layerBuffers(layer, batchSize)) {
      if (bytes <= limit) continue;
      const isWeight = what.startsWith('weight');
      const [takes, over] = sizes(bytes, limit);
      return (
        `model.layers[${i}] (${layer.name}): its ${what} takes ${takes}, over the ${over} ` +
        `this GPU (${adapter.name}) can bind in one buffer (maxStorageBufferBindingSize / maxBufferSize)\n` +
        `  fix: ${isWeight ? 'make the layer smaller (fewer units or filters)' : 'lower train.batchSize, or make the layer smaller'}, or train on a CPU backend (--backend onednn)`
      );
    }
  }
  return undefined;
}
