/**
 * A training step in one native call for models that are a stack of dense layers (the notebook
 * ANN and its sweeps: width, depth, activation, loss, optimizer). Through tfjs such a step is
 * ~100 kernel dispatches, and their bookkeeping cost more than the matrix products; the native
 * step (native/src/dense_stack.cc) is the products and a few passes over small arrays, with
 * tfjs's arithmetic. The weights and Adam's moments stay the model's own tfjs variables, so
 * saving, evaluating and predicting see no difference, and the optimizer's state carries over
 * either way. They are updated in place when nothing outside the backend can see their buffers
 * (the buffer pool's rule: never read out, not shared), else assigned new values as tfjs's
 * optimizers do. The step can also take the whole training set and the batch's indices
 * (`gathers`): its threads then copy the rows they read straight from the set.
 *
 * `denseStackStep` says which models qualify; anything else (other layers, regularizers,
 * constraints, frozen layers, other losses, metrics or optimizers, sparse labels, another
 * backend) trains through model.trainOnBatch. It is the backend's whole-step hook
 * (src/accelerated/train-step.ts), registered with the backend.
 */
import type * as tf from '@tensorflow/tfjs';
import type { FusedTrainStepOptions, FusedTrainStepPlan } from '../../accelerated/index.js';
import type { OnednnAddon } from './addon.js';
import type { OnednnBackend } from './backend.js';
import {
  ACTIVATION,
  type ActivationName,
  assignWritten,
  isActivation,
  metricsArray,
  type OptimizerRun,
  stepLogs,
  stepSetting,
  valuesOf,
  writeTarget,
} from './whole-step.js';

interface DenseLayer {
  kernel: tf.Variable;
  bias: tf.Variable | null;
  activation: ActivationName;
}

/** What keeps a model off the native step, or the layers it runs. */
export type DenseStackPlan = { ok: true; layers: DenseLayer[] } | { ok: false; reason: string };

/** The model as a list of dense layers, each with its activation; or why it is not one. */
export function planDenseStack(model: tf.LayersModel): DenseStackPlan {
  const layers: DenseLayer[] = [];
  for (const layer of model.layers) {
    const kind = layer.getClassName();
    const config = layer.getConfig();
    if (kind === 'InputLayer') continue;
    if (kind === 'Flatten' && layers.length === 0) continue;
    if (!layer.trainable && layer.weights.length > 0) return { ok: false, reason: `layer ${layer.name} is frozen` };
    if (kind === 'Activation') {
      const last = layers[layers.length - 1];
      if (last?.activation !== 'linear')
        return { ok: false, reason: `activation ${layer.name} does not follow a linear dense layer` };
      if (!isActivation(config.activation)) return { ok: false, reason: `activation ${String(config.activation)}` };
      last.activation = config.activation;
      continue;
    }
    if (kind !== 'Dense') return { ok: false, reason: `layer ${layer.name} (${kind})` };
    const extras = [
      'kernelRegularizer',
      'biasRegularizer',
      'activityRegularizer',
      'kernelConstraint',
      'biasConstraint',
    ];
    const extra = extras.find((k) => config[k] != null);
    if (extra) return { ok: false, reason: `layer ${layer.name} has a ${extra}` };
    if ((layer.input as tf.SymbolicTensor).shape.length !== 2)
      return { ok: false, reason: `layer ${layer.name} takes a rank-3+ input` };
    if (!isActivation(config.activation)) return { ok: false, reason: `activation ${String(config.activation)}` };
    const [kernel, bias] = layer.trainableWeights.map((w) => w.read() as tf.Variable);
    layers.push({ kernel: kernel!, bias: config.useBias ? bias! : null, activation: config.activation });
  }
  if (layers.length === 0) return { ok: false, reason: 'no dense layer' };
  if (layers.slice(0, -1).some((l) => l.activation === 'softmax'))
    return { ok: false, reason: 'softmax before the last layer' };
  return { ok: true, layers };
}

/** The native training step for `model`, or why there is none. */
export function denseStackStep(model: tf.LayersModel, o: FusedTrainStepOptions): FusedTrainStepPlan {
  const setting = stepSetting(model, o);
  if (!setting.ok) return setting;
  const plan = planDenseStack(model);
  if (!plan.ok) return plan;
  const units = plan.layers[plan.layers.length - 1]!.kernel.shape[1];
  if (units !== o.numClasses) return { ok: false, reason: `${units} outputs for ${o.numClasses} classes` };
  // As the native step reads them: kernel and bias per layer, null for a layer without bias.
  const params = plan.layers.flatMap((l) => [l.kernel, l.bias]);
  if (params.some((v) => v && v.dtype !== 'float32')) return { ok: false, reason: 'weights that are not float32' };
  const run = setting.optimizer(params);
  const { backend, addon, loss, slots } = setting;
  return {
    ok: true,
    step: (x, targets, rows, at) =>
      nativeStep(backend, addon, plan.layers, params, loss, run, slots, x, targets, rows, at),
    gathers: true,
  };
}

function nativeStep(
  backend: OnednnBackend,
  addon: OnednnAddon,
  layers: DenseLayer[],
  params: (tf.Variable | null)[],
  loss: number,
  run: OptimizerRun,
  slots: number[],
  x: Float32Array,
  targets: Float32Array,
  rows: number,
  at: Uint32Array | undefined,
): number[] {
  const vals = (v: tf.Variable) => valuesOf(backend, v);
  const { hyper, state } = run.begin();
  const newParams = params.map((v) => writeTarget(backend, v));
  const newState = state.map((v) => writeTarget(backend, v));
  const metrics = metricsArray();
  addon.denseStackStep(
    x,
    targets,
    rows,
    [layers[0]!.kernel.shape[0]!, ...layers.map((l) => l.kernel.shape[1]!)],
    layers.map((l) => ACTIVATION[l.activation]),
    params.map((v) => (v ? vals(v) : null)),
    newParams,
    state.map((v) => (v ? vals(v) : null)),
    newState,
    loss,
    run.code,
    hyper,
    metrics,
    at ?? null,
  );
  assignWritten(backend, params, newParams);
  assignWritten(backend, state, newState);
  run.end();
  return stepLogs(metrics, slots);
}
