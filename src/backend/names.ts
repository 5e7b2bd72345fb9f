/** Backend names, from fastest to slowest: `auto` takes the first one that loads. Kept apart from
 * select.ts so the CLI can list them without loading tfjs. */
export const BACKEND_NAMES = ['tensorflow-gpu', 'webgpu', 'tensorflow', 'onednn', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];
export type BackendChoice = BackendName | 'auto';

/**
 * Set to 1 by `--allow-software-gpu`: `--backend webgpu` may then run on a software adapter
 * (SwiftShader…), as the tests do. `auto` never does. Sweeps hand it to their children with the environment.
 */
export const ALLOW_SOFTWARE_GPU_ENV = 'MNIST_RUN_ALLOW_SOFTWARE_GPU';
