/**
 * What the training loop must know of the device a backend computes on, without naming the backend:
 * a GPU backend registers its traits under its tfjs name when it registers itself; CPU backends
 * register none, and the loop then keeps data on the host as always.
 */
import type * as tf from '@tensorflow/tfjs';
import { perBackend } from './per-backend.js';

export interface DeviceTraits {
  kind: 'gpu';
  /** The largest tensor the device holds in one buffer; a training set that fits is uploaded once. */
  residentBytes: number;
  /** Why `model` cannot train at `batchSize` on this device, asked before training; undefined when it can. */
  checkFits: (model: tf.LayersModel, batchSize: number) => string | undefined;
  /** The error to stop with once the device is lost (checked between batches); undefined while it is alive. */
  lost: () => Error | undefined;
}

const TRAITS = perBackend<DeviceTraits>();

/** Registers `backendName`'s traits, replacing any before; returns the undo. */
export const registerDeviceTraits = TRAITS.register;

/** The active backend's device traits; undefined for a host (CPU) backend. */
export const deviceTraits = TRAITS.active;
