/**
 * setupFiles of the unit suite. Its files share one process per worker (isolate: false: importing
 * tfjs and the sources once per worker instead of once per file takes the suite from ~45 s to ~20 s
 * here), so what a file changes in the process must not reach the next file. This runs before each
 * file: the environment as the worker started with it, and tfjs on its 'cpu' backend, the default
 * an isolated file would get.
 */
import * as tf from '@tensorflow/tfjs';

const start = globalThis as { mnistRunTestEnv?: NodeJS.ProcessEnv };
start.mnistRunTestEnv ??= { ...process.env };
for (const key of Object.keys(process.env)) if (!(key in start.mnistRunTestEnv)) delete process.env[key];
Object.assign(process.env, start.mnistRunTestEnv);
await tf.setBackend('cpu');
