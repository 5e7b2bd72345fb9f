/** The notebook's two networks as config objects (what configs/ann-seed.yaml and cnn.yaml say). */
export const annSeed = {
  model: {
    layers: [
      { type: 'flatten' },
      { type: 'dense', units: 512 },
      { type: 'activation', activation: 'sigmoid' },
      { type: 'dense', units: 128 },
      { type: 'activation', activation: 'sigmoid' },
      { type: 'dense', units: 10 },
      { type: 'activation', activation: 'softmax' },
    ],
  },
  loss: 'meanSquaredError',
  optimizer: { type: 'sgd', learningRate: 0.01 },
  metrics: ['accuracy'],
} as const;

export const cnn = {
  model: {
    layers: [
      { type: 'reshape', targetShape: [28, 28, 1] },
      { type: 'conv2d', filters: 32, kernelSize: 3 },
      { type: 'batchNormalization', axis: -1 },
      { type: 'activation', activation: 'relu' },
      { type: 'conv2d', filters: 32, kernelSize: 3 },
      { type: 'batchNormalization', axis: -1 },
      { type: 'activation', activation: 'relu' },
      { type: 'maxPooling2d', poolSize: 2 },
      { type: 'flatten' },
      { type: 'dense', units: 128 },
      { type: 'batchNormalization' },
      { type: 'activation', activation: 'relu' },
      { type: 'dropout', rate: 0.2 },
      { type: 'dense', units: 10 },
      { type: 'activation', activation: 'softmax' },
    ],
  },
  loss: 'categoricalCrossentropy',
  optimizer: { type: 'adam', learningRate: 0.01 },
  metrics: ['accuracy'],
} as const;
