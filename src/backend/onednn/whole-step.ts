/**
 * What the backend's two whole-step kernels share on the TS side (dense-stack.ts for stacks of
 * dense layers, layer-stack.ts for conv stacks and the rest): which losses, labels, metrics and
 * optimizers a native step takes, how the optimizer's state takes part, and the rule for writing
 * new values into a variable's own buffer. The weights and the optimizer's state stay the model's
 * own tfjs variables, so saving, evaluating and model.trainOnBatch see no difference.
 */
import * as tf from '@tensorflow/tfjs';
import { AcceleratedAdam, type FusedTrainStepOptions } from '../../accelerated/index.js';
import { loadAddon, type OnednnAddon } from './addon.js';
import { OnednnBackend } from './backend.js';
import { adamHyper } from './kernels/adam.js';
import { OP_CODES } from './op-codes.js';

export const ACTIVATION = OP_CODES.stackActivation;
export type ActivationName = keyof typeof ACTIVATION;
export const isActivation = (name: unknown): name is ActivationName => typeof name === 'string' && name in ACTIVATION;

const LOSS = OP_CODES.stackLoss;
const OPTIMIZER = OP_CODES.stackOptimizer;
/** Where each metric lands in a native step's output; slot 0, the loss, is no metric. */
const METRIC_SLOT: Record<string, number> = Object.fromEntries(
  Object.entries(OP_CODES.stackOutput).filter(([name]) => name !== 'loss'),
);

/** How an optimizer takes part: its code, hyperparameters and state for this step, and what it does after. */
export interface OptimizerRun {
  code: number;
  /** `state`: per entry of the params, its slots in order (Adam: m, v), nulls for a null param. */
  begin(): { hyper: Float32Array; state: (tf.Variable | null)[] };
  end(): void;
}

/** What every native step needs from the model and the run, checked. */
export interface StepSetting {
  backend: OnednnBackend;
  addon: OnednnAddon;
  loss: number;
  /** The metrics' slots in the native step's output, in compile order. */
  slots: number[];
  /** The optimizer's part, for `params` in the model's order (null entries: layers without that weight). */
  optimizer: (params: (tf.Variable | null)[]) => OptimizerRun;
}

/** The onednn backend and its addon, when onednn is the active backend. */
export function activeOnednn(): { backend: OnednnBackend; addon: OnednnAddon } | undefined {
  const backend = tf.backend();
  const load = loadAddon();
  return backend instanceof OnednnBackend && load.ok ? { backend, addon: load.addon } : undefined;
}

/** The setting for a native step of `model`, or why there is none (backend, loss, labels, metrics, optimizer). */
export function stepSetting(
  model: tf.LayersModel,
  o: FusedTrainStepOptions,
): ({ ok: true } & StepSetting) | { ok: false; reason: string } {
  const onednn = activeOnednn();
  if (!onednn) return { ok: false, reason: 'not on the onednn backend' };
  const loss = model.loss;
  if (typeof loss !== 'string' || !(loss in LOSS)) return { ok: false, reason: `loss ${String(loss)}` };
  if (o.labelFormat !== 'oneHot') return { ok: false, reason: 'sparse labels' };
  const unknown = o.metricNames.find((m) => !(m in METRIC_SLOT));
  if (unknown) return { ok: false, reason: `metric ${unknown}` };
  const optimizer = model.optimizer;
  // By constructor: tfjs's optimizers answer `instanceof` by duck typing (an SGD is an "AdamOptimizer").
  const kind =
    optimizer?.constructor === AcceleratedAdam
      ? 'adam'
      : optimizer?.constructor === tf.SGDOptimizer
        ? 'sgd'
        : undefined;
  if (!kind) return { ok: false, reason: `optimizer ${optimizer?.getClassName()}` };
  return {
    ok: true,
    ...onednn,
    loss: LOSS[loss as keyof typeof LOSS],
    slots: o.metricNames.map((m) => METRIC_SLOT[m]!),
    optimizer: (params) =>
      kind === 'adam' ? adamRun(optimizer as AcceleratedAdam, params) : sgdRun(optimizer as tf.SGDOptimizer),
  };
}

function sgdRun(sgd: tf.SGDOptimizer): OptimizerRun {
  return {
    code: OPTIMIZER.sgd,
    begin: () => ({ hyper: new Float32Array([(sgd as unknown as { learningRate: number }).learningRate]), state: [] }),
    end: () => (sgd as unknown as { incrementIterations(): void }).incrementIterations(),
  };
}

function adamRun(adam: AcceleratedAdam, params: (tf.Variable | null)[]): OptimizerRun {
  const variables = params.filter((v): v is tf.Variable => v !== null); // the model's order: Adam's slots follow it
  return {
    code: OPTIMIZER.adam,
    begin: () => {
      const { hyper, moments } = adam.stepState(variables);
      let i = 0;
      const state = params.flatMap((p) => (p ? [moments[i]!.m, moments[i++]!.v] : [null, null]));
      return { hyper: adamHyper(hyper), state };
    },
    end: () => adam.endStep(),
  };
}

/** The values of `v` as the backend holds them. */
export const valuesOf = (backend: OnednnBackend, v: tf.Variable) => backend.data.get(v.dataId).values as Float32Array;

/**
 * Where a step writes `v`'s new values: its own buffer when nothing else can see it (the pool owns
 * it and no other tensor shares it), else a fresh one that `assignWritten` then gives the variable.
 */
export function writeTarget(backend: OnednnBackend, v: tf.Variable | null): Float32Array | null {
  if (!v) return null;
  const own = valuesOf(backend, v);
  return backend.pool.owns(own) && backend.refCount(v.dataId) === 1 ? own : backend.pool.take(v.size);
}

/** Gives each variable the buffer the step wrote, where that is not its own. */
export function assignWritten(backend: OnednnBackend, vars: (tf.Variable | null)[], buffers: (Float32Array | null)[]) {
  vars.forEach((v, j) => {
    if (!v || buffers[j] === valuesOf(backend, v)) return;
    const t = tf.engine().makeTensor(buffers[j]!, v.shape, 'float32', backend);
    v.assign(t);
    t.dispose();
  });
}

/** A native step's metrics array, and [loss, ...metrics] in compile order from it. */
export const metricsArray = () => new Float64Array(Object.keys(OP_CODES.stackOutput).length);
export const stepLogs = (metrics: Float64Array, slots: number[]) => [
  metrics[OP_CODES.stackOutput.loss]!,
  ...slots.map((s) => metrics[s]!),
];
