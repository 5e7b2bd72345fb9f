/**
 * Something each backend registers under its tfjs name when it registers itself (a whole-step
 * hook, its device traits), and the lookup of the active backend's. Registering again replaces.
 */
import * as tf from '@tensorflow/tfjs';

export interface PerBackend<T> {
  /** Registers `backendName`'s value; returns the undo: the value registered before, or none. */
  register: (backendName: string, value: T) => () => void;
  /** The active backend's value, if it registered one. */
  active: () => T | undefined;
  /** Why the active backend has none, in words: which backends do, or that none does. */
  absent: () => string;
}

export function perBackend<T>(): PerBackend<T> {
  const values = new Map<string, T>();
  return {
    register: (backendName, value) => {
      const previous = values.get(backendName);
      values.set(backendName, value);
      return () => {
        if (previous) values.set(backendName, previous);
        else values.delete(backendName);
      };
    },
    active: () => values.get(tf.getBackend()),
    absent: () => (values.size ? `not on the ${[...values.keys()].join(' or ')} backend` : 'no backend has one'),
  };
}
