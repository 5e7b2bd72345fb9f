/**
 * The layer-stack variants the native step and the native forward pass are both held to tfjs on:
 * config overrides of configs/cnn.yaml that between them take every layer kind and option the
 * stack runs (padding, strides, pooling, bias, batch norm's scale and center, activations).
 */
export const cnnLayers = (...l: string[]) =>
  `model.layers=[{type: reshape, targetShape: [28, 28, 1]}, ${l.join(', ')}]`;

export const CNN_VARIANTS: [title: string, layers: string][] = [
  [
    'same padding, strides, an activation inside the conv, tanh, average pooling with padding, dropout',
    cnnLayers(
      '{type: conv2d, filters: 8, kernelSize: 3, strides: 2, padding: same, activation: relu}',
      '{type: batchNormalization}',
      '{type: conv2d, filters: 8, kernelSize: [3, 2], padding: same}',
      '{type: activation, activation: tanh}',
      '{type: averagePooling2d, poolSize: 3, strides: 2, padding: same}',
      '{type: flatten}',
      '{type: dropout, rate: 0.3}',
      '{type: dense, units: 10, activation: softmax}',
    ),
  ],
  [
    'no bias, batch norm without scale or center, sigmoid, overlapping max pools, valid average pooling',
    cnnLayers(
      '{type: conv2d, filters: 6, kernelSize: 5, useBias: false}',
      '{type: batchNormalization, scale: false, center: false}',
      '{type: activation, activation: sigmoid}',
      '{type: maxPooling2d, poolSize: 3, strides: 1}',
      '{type: averagePooling2d, poolSize: 2}',
      '{type: flatten}',
      '{type: dense, units: 32, useBias: false}',
      '{type: batchNormalization, center: false, momentum: 0.9, epsilon: 0.01}',
      '{type: activation, activation: relu}',
      '{type: dense, units: 10}',
      '{type: activation, activation: softmax}',
    ),
  ],
  [
    'max pools right above a fused relu: windows that leave the last row and column out, one half in the padding',
    cnnLayers(
      '{type: conv2d, filters: 8, kernelSize: 4}',
      '{type: batchNormalization}',
      '{type: activation, activation: relu}',
      '{type: maxPooling2d, poolSize: 2}', // 25 -> 12: row and column 24 in no window
      '{type: conv2d, filters: 8, kernelSize: 2}',
      '{type: batchNormalization, scale: false}',
      '{type: activation, activation: relu}',
      '{type: maxPooling2d, poolSize: 2, padding: same}', // 11 -> 6: the last windows half outside
      '{type: flatten}',
      '{type: dense, units: 10, activation: softmax}',
    ),
  ],
  [
    'a max pool right above a fused relu whose windows overlap',
    cnnLayers(
      '{type: conv2d, filters: 8, kernelSize: 3}',
      '{type: batchNormalization}',
      '{type: activation, activation: relu}',
      '{type: maxPooling2d, poolSize: 3, strides: 2}',
      '{type: flatten}',
      '{type: dense, units: 10, activation: softmax}',
    ),
  ],
  [
    'a conv flattened into a batch norm over all its outputs, the relu above fused',
    cnnLayers(
      '{type: conv2d, filters: 4, kernelSize: 3, strides: 2}',
      '{type: flatten}',
      '{type: batchNormalization}',
      '{type: activation, activation: relu}',
      '{type: dense, units: 10, activation: softmax}',
    ),
  ],
];
