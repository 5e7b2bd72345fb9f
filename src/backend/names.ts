/** Backend names, from fastest to slowest: `auto` takes the first one that loads. Kept apart from
 * select.ts so the CLI can list them without loading tfjs. */
export const BACKEND_NAMES = ['tensorflow-gpu', 'tensorflow', 'onednn', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];
export type BackendChoice = BackendName | 'auto';
