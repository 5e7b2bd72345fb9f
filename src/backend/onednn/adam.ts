/**
 * Adam with a one-pass native update on the onednn backend. tf.train.adam issues ~12 elementwise
 * kernels per variable per step; for the notebook ANN that is 72 kernel calls and ~12 passes over
 * 470k weights, more time than its matmuls. Same state (the `/m`, `/v` slots and the beta powers),
 * same arithmetic, so weights saved by one load into the other. Elsewhere it is tf.train.adam.
 */
import * as tf from '@tensorflow/tfjs';
import { loadAddon, type OnednnAddon } from './addon.js';
import { OnednnBackend } from './backend.js';

type NamedGradients = Parameters<tf.AdamOptimizer['applyGradients']>[0];
type Slot = { originalName: string; variable: tf.Variable };

/** The fields tfjs 4.22's AdamOptimizer keeps (private in its typings, pinned by our exact version). */
interface AdamState {
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: Slot[];
  accumulatedSecondMoment: Slot[];
}

export class OnednnAdam extends tf.AdamOptimizer {
  override applyGradients(gradients: NamedGradients): void {
    const backend = tf.backend();
    const load = loadAddon();
    if (!(backend instanceof OnednnBackend) || !load.ok) {
      super.applyGradients(gradients);
      return;
    }
    const entries = Array.isArray(gradients)
      ? gradients.map((g) => [g.name, g.tensor] as const)
      : Object.entries(gradients);
    if (
      entries.some(([name, g]) => g.dtype !== 'float32' || tf.engine().registeredVariables[name]?.dtype !== 'float32')
    ) {
      super.applyGradients(gradients);
      return;
    }
    this.fusedStep(backend, load.addon, entries);
    this.endStep();
  }

  /**
   * The hyperparameters of this step ([beta1, beta2, learningRate, epsilon, 1 - beta1^t,
   * 1 - beta2^t]) and the moments of each of `variables` (made on first use), for a native update.
   */
  stepState(variables: readonly tf.Variable[]): { hyper: Float32Array; moments: { m: tf.Variable; v: tf.Variable }[] } {
    const state = this as unknown as AdamState;
    const [p1, p2] = [state.accBeta1.dataSync()[0]!, state.accBeta2.dataSync()[0]!];
    const hyper = new Float32Array([this.beta1, this.beta2, this.learningRate, this.epsilon, 1 - p1, 1 - p2]);
    const moments = variables.map((value, i) => {
      state.accumulatedFirstMoment[i] ??= slot(`${value.name}/m`, value);
      state.accumulatedSecondMoment[i] ??= slot(`${value.name}/v`, value);
      return { m: state.accumulatedFirstMoment[i].variable, v: state.accumulatedSecondMoment[i].variable };
    });
    return { hyper, moments };
  }

  /** After a step's update: the beta powers and the iteration count advance, as in tfjs. */
  endStep(): void {
    const state = this as unknown as AdamState;
    tf.tidy(() => {
      state.accBeta1.assign(tf.mul(state.accBeta1, this.beta1));
      state.accBeta2.assign(tf.mul(state.accBeta2, this.beta2));
    });
    this.incrementIterations();
  }

  private fusedStep(backend: OnednnBackend, addon: OnednnAddon, entries: (readonly [string, tf.Tensor | undefined])[]) {
    const variables = entries.map(([name]) => tf.engine().registeredVariables[name]!);
    const { hyper, moments } = this.stepState(variables);
    const vals = (t: tf.Tensor) => backend.data.get(t.dataId).values as Float32Array;
    entries.forEach(([, gradient], i) => {
      const value = variables[i]!;
      const { m, v } = moments[i]!;
      if (!gradient) return;
      const [ow, om, ov] = [0, 1, 2].map(() => backend.pool.take(value.size));
      addon.adam(vals(value), vals(gradient), vals(m), vals(v), ow!, om!, ov!, hyper);
      const made = [ow!, om!, ov!].map((a) => tf.engine().makeTensor(a, value.shape, 'float32', backend));
      m.assign(made[1]!);
      v.assign(made[2]!);
      value.assign(made[0]!);
      tf.dispose(made);
    });
  }
}

function slot(originalName: string, like: tf.Variable): Slot {
  return { originalName, variable: tf.tidy(() => tf.zerosLike(like).variable(false)) };
}

/** Drop-in for tf.train.adam(learningRate, beta1, beta2, epsilon), with tfjs's defaults. */
export function onednnAdam(learningRate = 0.001, beta1 = 0.9, beta2 = 0.999, epsilon?: number): OnednnAdam {
  return new OnednnAdam(learningRate, beta1, beta2, epsilon);
}
