/**
 * The Adam update (ADAM_UPDATE of src/accelerated) on the GPU: three small programs per variable, the
 * new first moment, second moment and value, in place of the ~12 elementwise kernels tf.train.adam
 * issues (for configs/cnn.yaml: 42 dispatches a step instead of 168). tfjs's AdamOptimizer arithmetic,
 * in its order, in float32.
 */
import type * as tf from '@tensorflow/tfjs';
import type { AdamUpdateAttrs } from '../../../accelerated/index.js';

/** The part of tfjs-backend-webgpu's program interface these programs fill in. */
interface WebgpuUtil {
  flatDispatchLayout: (shape: number[]) => { x: number[] };
  computeDispatch: (layout: { x: number[] }, shape: number[], workgroupSize: [number, number, number]) => number[];
}
interface ProgramBackend {
  runWebGPUProgram(
    program: object,
    inputs: tf.TensorInfo[],
    dtype: 'float32',
    uniforms: { type: 'float32'; data: number[] }[],
  ): tf.TensorInfo;
}

type Output = 'm' | 'v' | 'value';

const MOMENT = {
  m: 'm * uniforms.beta1 + g * uniforms.oneMinusBeta1',
  v: 'v * uniforms.beta2 + (g * g) * uniforms.oneMinusBeta2',
};

/** WGSL of one output; inputs W (value), G (gradient), M, V as tfjs names them: get<Name>ByOutputIndex. */
function body(output: Output): string {
  const read = `let g = getGByOutputIndex(index);
          let m = getMByOutputIndex(index);
          let v = getVByOutputIndex(index);`;
  // Every program reads all four inputs: WebGPU drops unread bindings from the layout tfjs binds against.
  if (output !== 'value')
    return `${read}\n          _ = getWByOutputIndex(index);\n          setOutputAtIndex(index, ${MOMENT[output]});`;
  return `${read}
          let newM = ${MOMENT.m};
          let newV = ${MOMENT.v};
          let step = (newM / uniforms.biasCorrection1) / (sqrt(newV / uniforms.biasCorrection2) + uniforms.epsilon);
          setOutputAtIndex(index, step * -uniforms.learningRate + getWByOutputIndex(index));`;
}

function program(util: WebgpuUtil, shape: number[], output: Output): object {
  const workgroupSize: [number, number, number] = [64, 1, 1];
  const dispatchLayout = util.flatDispatchLayout(shape);
  return {
    variableNames: ['W', 'G', 'M', 'V'],
    outputShape: shape,
    shaderKey: `mnistRunAdam_${output}`,
    dispatchLayout,
    dispatch: util.computeDispatch(dispatchLayout, shape, workgroupSize),
    workgroupSize,
    size: true,
    uniforms:
      'beta1 : f32, oneMinusBeta1 : f32, beta2 : f32, oneMinusBeta2 : f32, learningRate : f32, epsilon : f32, biasCorrection1 : f32, biasCorrection2 : f32,',
    getUserCode: () => `
      fn main(index : i32) {
        if (index < uniforms.size) {
          ${body(output)}
        }
      }`,
  };
}

/** The kernel function, given tfjs-backend-webgpu's exported webgpu_util. */
export function adamUpdateKernel(util: WebgpuUtil): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { value, gradient, m, v } = inputs as Record<'value' | 'gradient' | 'm' | 'v', tf.TensorInfo>;
    const a = attrs as unknown as AdamUpdateAttrs;
    // As tfjs computes them: 1 - beta in a double, then stored as float32.
    const values = [a.beta1, 1 - a.beta1, a.beta2, 1 - a.beta2, a.learningRate, a.epsilon];
    const uniforms = [...values, a.biasCorrection1, a.biasCorrection2].map((x) => ({
      type: 'float32' as const,
      data: [x],
    }));
    const run = backend as unknown as ProgramBackend;
    const ins = [value, gradient, m, v];
    return (['value', 'm', 'v'] as const).map((o) =>
      run.runWebGPUProgram(program(util, [...value.shape], o), ins, 'float32', uniforms),
    );
  };
}
