/**
 * Whether a model trains within a GPU adapter's limits, checked before training: WebGPU refuses a
 * buffer over maxBufferSize, or bound over maxStorageBufferBindingSize, with a validation error deep
 * inside a step. Here it is one message naming the layer, the size and the fix.
 */
import type * as tf from '@tensorflow/tfjs';
import type { AdapterSummary } from './adapters.js';

const MiB = 1024 * 1024;
const mib = (bytes: number) => `${(bytes / MiB).toFixed(bytes < 10 * MiB ? 1 : 0)} MiB`;
const product = (dims: readonly (number | null)[]) => dims.reduce<number>((a, d) => a * (d ?? 1), 1);

/** The largest buffers one layer needs in a training step: its weights, its output, a convolution's patches. */
function layerBuffers(layer: tf.layers.Layer, batchSize: number): { what: string; bytes: number }[] {
  const out: { what: string; bytes: number }[] = [];
  for (const w of layer.weights)
    out.push({ what: `weight ${w.name} ${JSON.stringify(w.shape)}`, bytes: product(w.shape) * 4 });
  const shape = layer.outputShape as (number | null)[];
  if (Array.isArray(shape) && shape.every((d) => d === null || typeof d === 'number')) {
    out.push({ what: `output at batch size ${batchSize}`, bytes: batchSize * product(shape.slice(1)) * 4 });
  }
  const kernel = layer.getClassName() === 'Conv2D' ? layer.weights.find((w) => w.shape.length === 4) : undefined;
  if (kernel && Array.isArray(shape) && shape.length === 4) {
    // Matrix-multiply convolutions unfold every output position's patch: [batch·outH·outW, kh·kw·inC].
    const [kh, kw, inC] = kernel.shape as number[];
    out.push({
      what: `unfolded patches at batch size ${batchSize}`,
      bytes: batchSize * (shape[1] ?? 1) * (shape[2] ?? 1) * kh! * kw! * inC! * 4,
    });
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
      return (
        `model.layers[${i}] (${layer.name}): its ${what} takes ${mib(bytes)}, over the ${mib(limit)} ` +
        `this GPU (${adapter.name}) can bind in one buffer (maxStorageBufferBindingSize / maxBufferSize)\n` +
        `  fix: ${isWeight ? 'make the layer smaller (fewer units or filters)' : 'lower train.batchSize, or make the layer smaller'}, or train on a CPU backend (--backend onednn)`
      );
    }
  }
  return undefined;
}
