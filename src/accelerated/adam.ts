/**
 * Adam whose per-variable update is one ADAM_UPDATE kernel call where the backend has it.
 * tf.train.adam issues ~12 elementwise kernels per variable per step; for the notebook ANN that is
 * 72 kernel calls and ~12 passes over 470k weights, more time than its matmuls. Same state (the
 * `/m`, `/v` slots and the beta powers), same arithmetic, so weights saved by one load into the
 * other. On a backend without the kernel it is tf.train.adam.
 */
import * as tf from '@tensorflow/tfjs';
import { deviceTraits } from './device.js';
import { ADAM_UPDATE, type AdamUpdateAttrs, hasKernel, runKernel } from './kernels.js';

type NamedGradients = Parameters<tf.AdamOptimizer['applyGradients']>[0];
type Slot = { originalName: string; variable: tf.Variable };

/** The fields tfjs 4.22's AdamOptimizer keeps (private in its typings, pinned by our exact version). */
interface AdamState {
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: Slot[];
  accumulatedSecondMoment: Slot[];
}

export class AcceleratedAdam extends tf.AdamOptimizer {
  override applyGradients(gradients: NamedGradients): void {
    const entries = Array.isArray(gradients)
      ? gradients.map((g) => [g.name, g.tensor] as const)
      : Object.entries(gradients);
    const covered =
      hasKernel(ADAM_UPDATE) &&
      entries.every(([name, g]) => g.dtype === 'float32' && tf.engine().registeredVariables[name]?.dtype === 'float32');
    if (!covered) {
      super.applyGradients(gradients);
      return;
    }
    this.updateEach(entries);
    this.endStep();
  }

  /**
   * The hyperparameters of this step and the moments of each of `variables` (made on first use),
   * for an update outside tfjs's ops. Reads the beta powers back from a CPU backend; on a GPU
   * computes them on the host as tfjs would.
   */
  stepState(variables: readonly tf.Variable[]): {
    hyper: AdamUpdateAttrs;
    moments: { m: tf.Variable; v: tf.Variable }[];
  } {
    const state = this as unknown as AdamState;
    const [p1, p2] = deviceTraits()
      ? this.betaPowers() // a GPU: no read-back in the middle of a step
      : [state.accBeta1.dataSync()[0]!, state.accBeta2.dataSync()[0]!];
    const { beta1, beta2, learningRate, epsilon } = this;
    const hyper = { beta1, beta2, learningRate, epsilon, biasCorrection1: 1 - p1, biasCorrection2: 1 - p2 };
    const moments = variables.map((value, i) => {
      state.accumulatedFirstMoment[i] ??= slot(`${value.name}/m`, value);
      state.accumulatedSecondMoment[i] ??= slot(`${value.name}/v`, value);
      return { m: state.accumulatedFirstMoment[i].variable, v: state.accumulatedSecondMoment[i].variable };
    });
    return { hyper, moments };
  }

  private powers?: { t: number; p1: number; p2: number };

  /**
   * beta1^t and beta2^t as tfjs's accBeta variables hold them at step t (from 1): float32 products,
   * which Math.fround reproduces exactly (a product of two float32s is exact in a double).
   */
  private betaPowers(): [number, number] {
    const t = this.iterations + 1;
    const [b1, b2] = [Math.fround(this.beta1), Math.fround(this.beta2)];
    let p = this.powers && this.powers.t <= t ? this.powers : { t: 1, p1: b1, p2: b2 };
    while (p.t < t) p = { t: p.t + 1, p1: Math.fround(p.p1 * b1), p2: Math.fround(p.p2 * b2) };
    this.powers = p;
    return [p.p1, p.p2];
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

  private updateEach(entries: (readonly [string, tf.Tensor | undefined])[]) {
    const variables = entries.map(([name]) => tf.engine().registeredVariables[name]!);
    const { hyper, moments } = this.stepState(variables);
    entries.forEach(([, gradient], i) => {
      const value = variables[i]!;
      const { m, v } = moments[i]!;
      if (!gradient) return;
      const made = runKernel(ADAM_UPDATE, { value, gradient, m, v }, hyper) as tf.Tensor[];
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
export function acceleratedAdam(learningRate = 0.001, beta1 = 0.9, beta2 = 0.999, epsilon?: number): AcceleratedAdam {
  return new AcceleratedAdam(learningRate, beta1, beta2, epsilon);
}
