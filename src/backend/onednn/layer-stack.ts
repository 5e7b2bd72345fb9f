/**
 * A training step in one native call for sequential models of conv2d, dense, batch normalization,
 * activation, max and average pooling, dropout, flatten and reshape layers: the notebook CNN and
 * its variants (padding, strides, pooling, bias, batch norm's scale and center, activations), and
 * dense stacks with dropout. Through tfjs the CNN's step is ~600 kernel dispatches; the native step
 * (native/src/layer_stack.cc) is its kernels alone, with tfjs's arithmetic. Like the dense-stack
 * step (dense-stack.ts, which keeps dense-only stacks: it splits their batch between the cores),
 * the weights, Adam's moments and batch norm's moving statistics stay the model's tfjs variables.
 *
 * Dropout's masks are drawn here, before the call, with the ops and the one Math.random per layer
 * that tfjs's dropout uses, in the layers' order: a run's seed gives the masks trainOnBatch would.
 *
 * `layerStackStep` says which models qualify; anything else (other layers, regularizers,
 * constraints, frozen layers, dilation, channels-first data, noise shapes, softmax on images, other
 * losses, metrics or optimizers, sparse labels, another backend) trains through trainOnBatch,
 * and the reason goes to the run log.
 */
import * as tf from '@tensorflow/tfjs';
import type { FusedPredictPlan, FusedTrainStepOptions, FusedTrainStepPlan } from '../../accelerated/index.js';
import { convGeometry, convInfo } from './kernels/conv.js';
import { poolGeometry } from './kernels/pool.js';
import { OP_CODES } from './op-codes.js';
import {
  ACTIVATION,
  activeOnednn,
  assignWritten,
  isActivation,
  metricsArray,
  type OptimizerRun,
  type StepSetting,
  stepLogs,
  stepSetting,
  valuesOf,
  writeTarget,
} from './whole-step.js';

const KIND = OP_CODES.stackLayer;

/** One layer as the native step takes it: its description and the variables it reads and writes. */
export interface StackLayer {
  /** [kind, ...]: see native/src/layer_stack.cc's describe(). */
  description: number[];
  /** Kernel and bias, or gamma and beta; null where the layer has none. */
  params: [tf.Variable | null, tf.Variable | null];
  /** Batch norm's moving mean and variance. */
  moving: [tf.Variable | null, tf.Variable | null];
  /** Dropout: the rate and the shape of one batch's mask, less the batch. */
  dropout?: { rate: number; seed: number | undefined; sample: number[] };
}

export type LayerStackPlan = { ok: true; layers: StackLayer[] } | { ok: false; reason: string };

interface Weight {
  read(): tf.Variable;
}
/** The fields of tfjs 4.22's BatchNormalization (private in its typings, pinned by our exact version). */
interface BatchNormFields {
  gamma: Weight | null;
  beta: Weight | null;
  movingMean: Weight;
  movingVariance: Weight;
}

const EXTRAS = [
  'kernelRegularizer',
  'biasRegularizer',
  'activityRegularizer',
  'kernelConstraint',
  'biasConstraint',
  'betaRegularizer',
  'gammaRegularizer',
  'betaConstraint',
  'gammaConstraint',
];

const pair = (v: unknown): [number, number] => {
  const a = [v].flat() as number[];
  return [a[0]!, a[1] ?? a[0]!];
};

const noParams = (description: number[]): StackLayer => ({ description, params: [null, null], moving: [null, null] });

/** The activation after a conv2d or dense layer, as a layer of its own; none for linear. */
function activationAfter(name: unknown, input: number[], layerName: string): StackLayer[] | string {
  if (!isActivation(name)) return `activation ${String(name)} of ${layerName}`;
  if (name === 'softmax' && input.length !== 1) return `softmax over an image (${layerName})`;
  return name === 'linear' ? [] : [noParams([KIND.activation, ACTIVATION[name]])];
}

/**
 * The layers of `model` as the native step runs them, or why it cannot. For inference (`training`
 * false) frozen layers, regularizers and constraints do not matter: they only change training.
 */
export function planLayerStack(model: tf.LayersModel, training = true): LayerStackPlan {
  const layers: StackLayer[] = [];
  const fail = (reason: string): LayerStackPlan => ({ ok: false, reason });
  for (const layer of model.layers) {
    const kind = layer.getClassName();
    const config = layer.getConfig();
    if (kind === 'InputLayer' || kind === 'Flatten' || kind === 'Reshape') continue; // NHWC: memory as it is
    if (training && !layer.trainable && layer.weights.length > 0) return fail(`layer ${layer.name} is frozen`);
    const extra = training && EXTRAS.find((k) => config[k] != null);
    if (extra) return fail(`layer ${layer.name} has a ${extra}`);
    const input = ((layer.input as tf.SymbolicTensor).shape as number[]).slice(1);
    const output = ((layer.output as tf.SymbolicTensor).shape as number[]).slice(1);
    if (config.dataFormat != null && config.dataFormat !== 'channelsLast')
      return fail(`layer ${layer.name} takes channels-first data`);
    // Kernel, then bias (a frozen layer's are not trainable: inference takes them all the same).
    const [own, ...more] = layer.weights.map((w) => w.read() as tf.Variable);
    switch (kind) {
      case 'Conv2D': {
        if (input.length !== 3) return fail(`layer ${layer.name} takes a rank-${input.length + 1} input`);
        if (pair(config.dilationRate).some((d) => d !== 1)) return fail(`layer ${layer.name} is dilated`);
        const [fH, fW] = pair(config.kernelSize);
        const [h, w, c] = input as [number, number, number];
        const info = convInfo([1, h, w, c], [fH, fW, c, config.filters as number], {
          strides: pair(config.strides),
          pad: config.padding as 'valid' | 'same',
        });
        if (!info) return fail(`layer ${layer.name} has an empty output`);
        const after = activationAfter(config.activation, output, layer.name);
        if (typeof after === 'string') return fail(after);
        layers.push({
          description: [KIND.conv2d, ...convGeometry(info).slice(1)], // the conv kernels' geometry, less the batch
          params: [own!, config.useBias ? more[0]! : null],
          moving: [null, null],
        });
        layers.push(...after);
        break;
      }
      case 'Dense': {
        if (input.length !== 1) return fail(`layer ${layer.name} takes a rank-${input.length + 1} input`);
        const after = activationAfter(config.activation, output, layer.name);
        if (typeof after === 'string') return fail(after);
        layers.push({
          description: [KIND.dense, input[0]!, output[0]!],
          params: [own!, config.useBias ? more[0]! : null],
          moving: [null, null],
        });
        layers.push(...after);
        break;
      }
      case 'BatchNormalization': {
        const axis = config.axis as number;
        if (axis !== -1 && axis !== input.length)
          return fail(`layer ${layer.name} normalizes an axis other than the last`);
        const f = layer as unknown as BatchNormFields;
        layers.push({
          description: [KIND.batchNorm, input[input.length - 1]!, config.epsilon as number, config.momentum as number],
          params: [f.gamma?.read() ?? null, f.beta?.read() ?? null],
          moving: [f.movingMean.read(), f.movingVariance.read()],
        });
        break;
      }
      case 'Activation': {
        const after = activationAfter(config.activation, input, layer.name);
        if (typeof after === 'string') return fail(after);
        layers.push(...after);
        break;
      }
      case 'MaxPooling2D':
      case 'AveragePooling2D': {
        if (input.length !== 3) return fail(`layer ${layer.name} takes a rank-${input.length + 1} input`);
        const { geometry } = poolGeometry([1, ...input], {
          filterSize: pair(config.poolSize),
          strides: pair(config.strides ?? config.poolSize),
          pad: config.padding as 'valid' | 'same',
        });
        // the pool kernels' geometry, less the batch
        layers.push(noParams([kind === 'MaxPooling2D' ? KIND.maxPool : KIND.avgPool, ...geometry.slice(1)]));
        break;
      }
      case 'Dropout': {
        if (config.noiseShape != null) return fail(`layer ${layer.name} has a noise shape`);
        const rate = config.rate as number;
        const seed = (config.seed as number | undefined) ?? undefined;
        // tfjs-layers drops nothing outside 0 < rate < 1.
        if (rate > 0 && rate < 1) layers.push({ ...noParams([KIND.dropout]), dropout: { rate, seed, sample: input } });
        break;
      }
      default:
        return fail(`layer ${layer.name} (${kind})`);
    }
  }
  if (layers.length === 0) return fail('no layer the native step runs');
  if (!training) return { ok: true, layers };
  // Adam's slots follow the model's order of trainable weights, in both steps.
  const params = layers.flatMap((l) => l.params).filter((v): v is tf.Variable => v !== null);
  const trainable = model.trainableWeights.map((w) => w.read());
  if (params.length !== trainable.length || params.some((v, i) => v !== trainable[i]))
    return fail('trainable weights the native step does not see in the model order');
  return { ok: true, layers };
}

/** What every step and forward pass passes, gathered once. */
interface Stack {
  layers: StackLayer[];
  descriptions: number[][];
  params: (tf.Variable | null)[];
  moving: (tf.Variable | null)[];
  /** Floats per sample out of the top layer. */
  width: number;
}

/** planLayerStack's layers gathered for the native calls, or why they cannot run: a flat output, float32 weights. */
function stackOf(model: tf.LayersModel, training: boolean): { ok: true; stack: Stack } | { ok: false; reason: string } {
  const plan = planLayerStack(model, training);
  if (!plan.ok) return plan;
  const out = (model.outputs[0]!.shape as number[]).slice(1);
  if (out.length !== 1) return { ok: false, reason: `output of rank ${out.length + 1}` };
  const params = plan.layers.flatMap((l) => l.params);
  const moving = plan.layers.flatMap((l) => l.moving);
  if ([...params, ...moving].some((v) => v && v.dtype !== 'float32'))
    return { ok: false, reason: 'weights that are not float32' };
  const descriptions = plan.layers.map((l) => l.description);
  return { ok: true, stack: { layers: plan.layers, descriptions, params, moving, width: out[0]! } };
}

/** The native training step for `model`, or why there is none. */
export function layerStackStep(model: tf.LayersModel, o: FusedTrainStepOptions): FusedTrainStepPlan {
  const setting = stepSetting(model, o);
  if (!setting.ok) return setting;
  const gathered = stackOf(model, true);
  if (!gathered.ok) return gathered;
  const { stack } = gathered;
  if (stack.width !== o.numClasses) return { ok: false, reason: `output [${stack.width}] for ${o.numClasses} classes` };
  const run = setting.optimizer(stack.params);
  return { ok: true, step: (x, targets, rows) => nativeStep(setting, stack, run, x, targets, rows) };
}

/**
 * The native forward pass for `model` in inference (batch norm with its moving statistics, dropout
 * passing through), or why there is none.
 */
export function layerStackPredict(model: tf.LayersModel): FusedPredictPlan {
  const onednn = activeOnednn();
  if (!onednn) return { ok: false, reason: 'not on the onednn backend' };
  const gathered = stackOf(model, false);
  if (!gathered.ok) return gathered;
  const { descriptions, params, moving, width } = gathered.stack;
  const read = (v: tf.Variable | null) => (v ? valuesOf(onednn.backend, v) : null);
  return {
    ok: true,
    predict: (x, rows) => {
      const y = new Float32Array(rows * width);
      onednn.addon.layerStackPredict(x, rows, descriptions, params.map(read), moving.map(read), y);
      return y;
    },
  };
}

/** Dropout's multipliers for one batch, as tfjs's dropout draws them: floor(uniform + keep) / keep. */
function dropoutMask(rows: number, d: NonNullable<StackLayer['dropout']>): tf.Tensor {
  const keep = 1 - d.rate;
  return tf.tidy(() =>
    tf.div(tf.floor(tf.add(tf.randomUniform([rows, ...d.sample], 0, 1, 'float32', d.seed), keep)), keep),
  );
}

function nativeStep(
  setting: StepSetting,
  { layers, descriptions, params, moving }: Stack,
  run: OptimizerRun,
  x: Float32Array,
  targets: Float32Array,
  rows: number,
): number[] {
  const { backend, addon } = setting;
  const read = (v: tf.Variable | null) => (v ? valuesOf(backend, v) : null);
  const masks = layers.map((l) => (l.dropout ? dropoutMask(rows, l.dropout) : null));
  try {
    const { hyper, state } = run.begin();
    const written = [params, state, moving].map((vars) => vars.map((v) => writeTarget(backend, v)));
    const metrics = metricsArray();
    addon.layerStackStep(
      x,
      targets,
      rows,
      descriptions,
      params.map(read),
      written[0]!,
      state.map(read),
      written[1]!,
      moving.map(read),
      written[2]!,
      masks.map((m) => (m ? (m.dataSync() as Float32Array) : null)),
      setting.loss,
      run.code,
      hyper,
      metrics,
    );
    assignWritten(backend, params, written[0]!);
    assignWritten(backend, state, written[1]!);
    assignWritten(backend, moving, written[2]!);
    run.end();
    return stepLogs(metrics, setting.slots);
  } finally {
    tf.dispose(masks.filter((m): m is tf.Tensor => m !== null));
  }
}
