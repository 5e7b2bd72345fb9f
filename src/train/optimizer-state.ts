/**
 * An optimizer's whole state, out and back in, for checkpoints. tfjs's getWeights/setWeights are
 * not enough: Adamax has neither, and Adam's setWeights recomputes beta1^t with one pow where
 * training multiplied t times, a last-bit difference that a resumed run would carry into every
 * later step. So the state is read where tfjs 4.22 (pinned exactly) keeps it: the iteration count,
 * every tf.Variable field (Adam's beta powers, Adamax's step) and every per-weight slot list (moments,
 * accumulators), in the order the weights are updated. The tests restore each optimizer the schema
 * offers and check the steps after match bit for bit.
 */
import * as tf from '@tensorflow/tfjs';

type Slot = { originalName: string; variable: tf.Variable } | null | undefined;

/** One tensor of the state; `key` is `field` for a variable, `field[i]` for a slot with its weight's name. */
export interface OptimizerTensor {
  key: string;
  originalName?: string;
  tensor: tf.Tensor;
}

export interface OptimizerState {
  iterations: number;
  tensors: OptimizerTensor[];
}

const isSlot = (v: unknown): v is Slot =>
  v == null ||
  (typeof v === 'object' && 'variable' in v && (v as { variable: unknown }).variable instanceof tf.Variable);

type Fields = Record<string, unknown> & { iterations_: number };

/** The optimizer's state, as its own variables (not copies: read them before the next step). */
export function optimizerState(optimizer: tf.Optimizer): OptimizerState {
  const fields = optimizer as unknown as Fields;
  const tensors: OptimizerTensor[] = [];
  for (const [field, value] of Object.entries(fields)) {
    if (value instanceof tf.Variable) tensors.push({ key: field, tensor: value });
    else if (Array.isArray(value) && value.length && value.every(isSlot))
      value.forEach((slot: Slot, i) => {
        if (slot) tensors.push({ key: `${field}[${i}]`, originalName: slot.originalName, tensor: slot.variable });
      });
  }
  return { iterations: fields.iterations_, tensors };
}

/** Sets a fresh optimizer (of the same type and settings) to `state`; slots are made where the first step would. */
export function restoreOptimizer(optimizer: tf.Optimizer, state: OptimizerState): void {
  const fields = optimizer as unknown as Fields;
  fields.iterations_ = state.iterations;
  for (const { key, originalName, tensor } of state.tensors) {
    const slot = /^(\w+)\[(\d+)\]$/.exec(key);
    if (!slot) {
      const own = fields[key];
      if (!(own instanceof tf.Variable)) throw new Error(`optimizer ${optimizer.getClassName()} has no state ${key}`);
      own.assign(tensor);
      continue;
    }
    const [, field, at] = slot as unknown as [string, string, string];
    if (fields[field] === undefined) fields[field] = [];
    const list = fields[field] as Slot[];
    if (!Array.isArray(list)) throw new Error(`optimizer ${optimizer.getClassName()} has no slots ${field}`);
    list[Number(at)]?.variable.dispose();
    list[Number(at)] = { originalName: originalName ?? key, variable: tf.variable(tensor, false) };
  }
}
