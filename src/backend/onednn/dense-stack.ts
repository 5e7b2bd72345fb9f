/**
 * A training step in one native call for models that are a stack of dense layers (the notebook
 * ANN and its sweeps: width, depth, activation, loss, optimizer). Through tfjs such a step is
 * ~100 kernel dispatches, and their bookkeeping cost more than the matrix products; the native
 * step (native/src/dense_stack.cc) is the products and a few passes over small arrays, with
 * tfjs's arithmetic. The weights and Adam's moments stay the model's own tfjs variables, so
 * saving, evaluating and predicting see no difference, and the optimizer's state carries over
 * either way. They are updated in place when nothing outside the backend can see their buffers
 * (the buffer pool's rule: never read out, not shared), else assigned new values as tfjs's
 * optimizers do.
 *
 * `denseStackStep` says which models qualify; anything else (other layers, regularizers,
 * constraints, frozen layers, other losses, metrics or optimizers, sparse labels, another
 * backend) trains through model.trainOnBatch. It is the backend's whole-step hook
 * (src/accelerated/train-step.ts), registered with the backend.
 */
import * as tf from '@tensorflow/tfjs';
import { AcceleratedAdam, type FusedTrainStepOptions, type FusedTrainStepPlan } from '../../accelerated/index.js';
import { loadAddon, type OnednnAddon } from './addon.js';
import { OnednnBackend } from './backend.js';
import { adamHyper } from './kernels/adam.js';
import { OP_CODES } from './op-codes.js';

const ACTIVATION = OP_CODES.stackActivation;
const LOSS = OP_CODES.stackLoss;
const OPTIMIZER = OP_CODES.stackOptimizer;
/** Where each metric lands in the native step's output; slot 0, the loss, is no metric. */
const METRIC_SLOT: Record<string, number> = Object.fromEntries(
  Object.entries(OP_CODES.stackOutput).filter(([name]) => name !== 'loss'),
);

type ActivationName = keyof typeof ACTIVATION;

interface DenseLayer {
  kernel: tf.Variable;
  bias: tf.Variable | null;
  activation: ActivationName;
}

/** What keeps a model off the native step, or the layers it runs. */
export type DenseStackPlan = { ok: true; layers: DenseLayer[] } | { ok: false; reason: string };

const isActivation = (name: unknown): name is ActivationName => typeof name === 'string' && name in ACTIVATION;

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
  const backend = tf.backend();
  const load = loadAddon();
  if (!(backend instanceof OnednnBackend) || !load.ok) return { ok: false, reason: 'not on the onednn backend' };
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
  const plan = planDenseStack(model);
  if (!plan.ok) return plan;
  const units = plan.layers[plan.layers.length - 1]!.kernel.shape[1];
  if (units !== o.numClasses) return { ok: false, reason: `${units} outputs for ${o.numClasses} classes` };
  // As the native step reads them: kernel and bias per layer, null for a layer without bias.
  const params = plan.layers.flatMap((l) => [l.kernel, l.bias]);
  if (params.some((v) => v && v.dtype !== 'float32')) return { ok: false, reason: 'weights that are not float32' };
  const slots = o.metricNames.map((m) => METRIC_SLOT[m]!);
  const run = kind === 'adam' ? adamRun(optimizer as AcceleratedAdam, params) : sgdRun(optimizer as tf.SGDOptimizer);
  return {
    ok: true,
    step: (x, targets, rows) =>
      nativeStep(
        backend,
        load.addon,
        plan.layers,
        params,
        LOSS[loss as keyof typeof LOSS],
        run,
        slots,
        x,
        targets,
        rows,
      ),
  };
}

/** How an optimizer takes part: its code, hyperparameters and state for this step, and what it does after. */
interface OptimizerRun {
  code: number;
  /** `state`: per entry of the params, its slots in order (Adam: m, v), nulls for a null param. */
  begin(): { hyper: Float32Array; state: (tf.Variable | null)[] };
  end(): void;
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
): number[] {
  const vals = (v: tf.Variable) => backend.data.get(v.dataId).values as Float32Array;
  const { hyper, state } = run.begin();
  // New values go into the variable's own buffer when nothing else can see it (the pool owns it
  // and no other tensor shares it), else into a fresh one that the variable is then assigned.
  const target = (v: tf.Variable | null) => {
    if (!v) return null;
    const own = vals(v);
    return backend.pool.owns(own) && backend.refCount(v.dataId) === 1 ? own : backend.pool.take(v.size);
  };
  const newParams = params.map(target);
  const newState = state.map(target);
  const metrics = new Float64Array(Object.keys(OP_CODES.stackOutput).length);
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
  );
  const assign = (vars: (tf.Variable | null)[], buffers: (Float32Array | null)[]) =>
    vars.forEach((v, j) => {
      if (!v || buffers[j] === vals(v)) return;
      const t = tf.engine().makeTensor(buffers[j]!, v.shape, 'float32', backend);
      v.assign(t);
      t.dispose();
    });
  assign(params, newParams);
  assign(state, newState);
  run.end();
  return [metrics[OP_CODES.stackOutput.loss]!, ...slots.map((s) => metrics[s]!)];
}
