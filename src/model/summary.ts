import type * as tf from '@tensorflow/tfjs';

export interface LayerRow {
  name: string;
  type: string;
  outputShape: (number | null)[];
  params: number;
}

export interface ModelSummary {
  layers: LayerRow[];
  totalParams: number;
  trainableParams: number;
  nonTrainableParams: number;
}

const sizeOf = (weights: { shape: (number | null)[] }[]) =>
  weights.reduce((n, w) => n + w.shape.reduce<number>((a, d) => a * (d ?? 1), 1), 0);

/** Layer table and parameter counts as Keras's model.summary() reports them. */
export function summarize(model: tf.LayersModel): ModelSummary {
  const layers = model.layers
    .filter((layer) => layer.getClassName() !== 'InputLayer')
    .map((layer) => ({
      name: layer.name,
      type: layer.getClassName(),
      outputShape: layer.outputShape as (number | null)[],
      params: layer.countParams(),
    }));
  const trainableParams = sizeOf(model.trainableWeights);
  const nonTrainableParams = sizeOf(model.nonTrainableWeights);
  return { layers, totalParams: trainableParams + nonTrainableParams, trainableParams, nonTrainableParams };
}

const fmt = (n: number) => n.toLocaleString('en-US');
const shapeText = (s: (number | null)[]) => `(${s.map((d) => (d === null ? 'None' : String(d))).join(', ')})`;

/** The Keras-style text table. */
export function formatSummary(s: ModelSummary): string {
  const rows = s.layers.map((l) => [`${l.name} (${l.type})`, shapeText(l.outputShape), fmt(l.params)] as const);
  const w0 = Math.max(28, ...rows.map((r) => r[0].length + 2));
  const w1 = Math.max(25, ...rows.map((r) => r[1].length + 2));
  const line = (a: string, b: string, c: string) => `${a.padEnd(w0)}${b.padEnd(w1)}${c}`;
  const rule = (ch: string) => ch.repeat(w0 + w1 + 12);
  return [
    rule('_'),
    line('Layer (type)', 'Output Shape', 'Param #'),
    rule('='),
    ...rows.flatMap((r, i) => [line(...r), i === rows.length - 1 ? rule('=') : rule('_')]),
    `Total params: ${fmt(s.totalParams)}`,
    `Trainable params: ${fmt(s.trainableParams)}`,
    `Non-trainable params: ${fmt(s.nonTrainableParams)}`,
  ].join('\n');
}
