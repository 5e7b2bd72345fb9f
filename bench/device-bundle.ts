/**
 * For the device pack's bundle (scripts/device-check.sh pack). src/backend/ imports the optional
 * package @tensorflow/tfjs-backend-webgpu at run time by name, and it must register on the same
 * tfjs-core as everything else. In the bundle that core is inside the bundle, so the package is
 * bundled here and kept on globalThis; the pack's node_modules holds a stub of that name that
 * hands it out. Outside the bundle (vite-node, tests) this changes nothing.
 */
import * as webgpuBackend from '@tensorflow/tfjs-backend-webgpu';

export const BUNDLED = Symbol.for('mnist-run.device-bundle');

(globalThis as Record<symbol, unknown>)[BUNDLED] = { '@tensorflow/tfjs-backend-webgpu': webgpuBackend };
