import * as tf from '@tensorflow/tfjs';

/** How many times `kernelName` runs on the active backend during `f`. */
export async function countKernel(kernelName: string, f: () => Promise<unknown>): Promise<number> {
  const backendName = tf.getBackend();
  const config = tf.getKernel(kernelName, backendName)!;
  let calls = 0;
  tf.unregisterKernel(kernelName, backendName);
  tf.registerKernel({ ...config, kernelFunc: (args) => (calls++, config.kernelFunc(args)) });
  try {
    await f();
  } finally {
    tf.unregisterKernel(kernelName, backendName);
    tf.registerKernel(config);
  }
  return calls;
}
