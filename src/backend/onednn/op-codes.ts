/**
 * The integer codes the addon takes for ops and options, declared once on this side. The addon
 * declares the same lists once in native/src/op_codes.h and returns them from `opCodes()`;
 * test/onednn-opcodes.test.ts holds the two equal, so neither side can change alone.
 */

export const OP_CODES = {
  unary: {
    relu: 0,
    sigmoid: 1,
    exp: 2,
    log: 3,
    tanh: 4,
    sqrt: 5,
    square: 6,
    abs: 7,
    linear: 8,
    elu: 9,
    clip: 10,
  },
  binary: {
    add: 0,
    sub: 1,
    mul: 2,
    div: 3,
    max: 4,
    min: 5,
    squaredDifference: 6,
    reluGrad: 7,
    sigmoidGrad: 8,
  },
  reduce: { sum: 0, mean: 1, max: 2, min: 3 },
  /** What a product's epilogue applies (fusedMatMul). */
  fusedActivation: { linear: 0, relu: 1, sigmoid: 2 },
  /** The whole-step kernels' activations, losses and optimizers (dense-stack and layer-stack). */
  stackActivation: { linear: 0, relu: 1, sigmoid: 2, tanh: 3, softmax: 4 },
  stackLoss: { meanSquaredError: 0, categoricalCrossentropy: 1 },
  stackOptimizer: { sgd: 0, adam: 1 },
  /** The layer-stack step's layers (native/src/layer_stack.cc). */
  stackLayer: { conv2d: 0, dense: 1, batchNorm: 2, activation: 3, maxPool: 4, avgPool: 5, dropout: 6 },
  /** Where each of the dense-stack step's outputs lands in its metrics array. */
  stackOutput: { loss: 0, accuracy: 1, categoricalCrossentropy: 2, meanSquaredError: 3, meanAbsoluteError: 4 },
} as const;

export type OpCodes = typeof OP_CODES;

export const UNARY = OP_CODES.unary;
export const BINARY = OP_CODES.binary;
export const REDUCE = OP_CODES.reduce;
export const FUSED_ACTIVATION = OP_CODES.fusedActivation;
