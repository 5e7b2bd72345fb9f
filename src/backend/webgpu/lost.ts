/**
 * A lost GPU device (driver reset, GPU unplugged, device destroyed) must end a run with the reason,
 * never hang it. Dawn resolves `device.lost`; from then on every submit and read-back of the backend
 * throws GpuLostError, and a read-back already waiting is released with it. Work the GPU rejects
 * (out of memory, a validation error) would otherwise only be printed while training went on with
 * garbage: its first error fails the run the same way.
 */
import type { KernelBackend } from '@tensorflow/tfjs';
import { DeviceError } from '../../errors.js';
import type { GpuDeviceLike } from './adapters.js';

/** The GPU device went away under a run: not the user's doing, but their driver's or machine's. */
export class GpuLostError extends DeviceError {}

/** The GPU refused work (out of memory, validation): the results from then on cannot be trusted. */
export class GpuRejectedError extends DeviceError {}

/** The part of tfjs-backend-webgpu's WebGPUBackend that is wrapped here. */
export interface WebgpuBackendLike extends KernelBackend {
  submitQueue(): void;
  getBufferData(buffer: unknown): Promise<ArrayBuffer | null>;
}
export type WebgpuBackendClass = new (device: GpuDeviceLike, adapterInfo?: object) => WebgpuBackendLike;

/** How long a failed read-back waits for the device's lost report before failing with its own error. */
export const LOST_GRACE_MS = 1000;

interface LostState {
  error?: GpuLostError | GpuRejectedError;
  promise: Promise<GpuLostError>;
}
const states = new WeakMap<GpuDeviceLike, LostState>();

function lostState(device: GpuDeviceLike): LostState {
  let state = states.get(device);
  if (!state) {
    const s: LostState = {
      promise: device.lost.then((info) => {
        s.error = new GpuLostError(
          `the GPU device was lost (${info.reason || 'unknown reason'}${info.message ? `: ${info.message}` : ''}); ` +
            'the run cannot go on. Check the GPU with `mnist-run doctor` and run again',
        );
        return s.error;
      }),
    };
    device.addEventListener?.('uncapturederror', (event) => {
      const { error } = event as { error?: { constructor: { name: string }; message: string } };
      const kind = error?.constructor.name.replace(/^GPU|Error$/g, '') || 'unknown';
      s.error ??= new GpuRejectedError(
        `the GPU rejected work (${kind} error: ${error?.message.split('\n')[0] ?? 'no message'}); ` +
          'the run cannot go on. If it is out of memory, lower train.batchSize or use a CPU backend',
      );
    });
    state = s;
    states.set(device, state);
  }
  return state;
}

/** The error for a lost or failed `device`, or undefined while it is sound. */
export function deviceLostError(device: GpuDeviceLike): GpuLostError | GpuRejectedError | undefined {
  return lostState(device).error;
}

/** WebGPUBackend, but every submit and read-back fails with GpuLostError once `device` is lost. */
export function lostAware(Base: WebgpuBackendClass, device: GpuDeviceLike): WebgpuBackendClass {
  const state = lostState(device);
  // Read-backs in flight, released with the error when the device goes: none waits forever.
  const waiting = new Set<(err: Error) => void>();
  void state.promise.then((err) => {
    for (const reject of waiting) reject(err);
  });
  return class LostAwareWebgpuBackend extends Base {
    override submitQueue(): void {
      if (state.error) throw state.error;
      super.submitQueue();
    }
    override getBufferData(buffer: unknown): Promise<ArrayBuffer | null> {
      if (state.error) return Promise.reject(state.error);
      let release!: (err: Error) => void;
      const read = new Promise<ArrayBuffer | null>((resolve, reject) => {
        release = reject;
        super.getBufferData(buffer).then(resolve, (err: unknown) => {
          if (state.error) return reject(state.error);
          // Dawn may fail the map (an AbortError, no message) before it reports the device lost:
          // a moment's grace lets the run end with the reason rather than as a bug.
          setTimeout(() => reject(state.error ?? err), LOST_GRACE_MS);
        });
      });
      waiting.add(release);
      return read.finally(() => waiting.delete(release));
    }
  };
}
