import { z } from 'zod';
import { activation, BOUNDS, initializer, intOrPair, padding, positiveInt, regularizer } from './parts.js';

/**
 * One schema per layer type, keyed by the tfjs factory name (`tf.layers.<type>`); every other key
 * is a tfjs argument name, so the compiler passes the rest through after building initializers
 * and regularizers. Unset arguments take tfjs's defaults.
 */

const layer = <K extends string, T extends z.ZodRawShape>(type: K, shape: T, what: string) =>
  z
    .strictObject({
      type: z.literal(type).describe('layer type'),
      name: z.string().min(1).optional().describe('layer name shown in the summary (default: tfjs numbers it)'),
      ...shape,
    })
    .describe(what);

const weights = (kernel: string) => ({
  activation: activation().optional().describe('activation applied to the output (default linear: none)'),
  useBias: z.boolean().optional().describe('add a bias vector (default true)'),
  kernelInitializer: initializer(kernel).optional(),
  biasInitializer: initializer('initial bias').optional(),
  kernelRegularizer: regularizer('penalty on the kernel').optional(),
  biasRegularizer: regularizer('penalty on the bias').optional(),
  // No activityRegularizer: tfjs 4.22 types accept it, but adding such a layer to a model throws
  // NotImplementedError ("Layer invocation in the presence of activity regularizer(s)").
});

const pooling = <K extends string>(type: K, what: string) =>
  layer(
    type,
    {
      poolSize: intOrPair('window size').default(2),
      strides: intOrPair('step between windows (default: poolSize)').optional(),
      padding: padding().optional(),
    },
    what,
  );

const flatten = layer('flatten', {}, 'flattens each sample to one vector, e.g. [28, 28] to [784]');
const reshape = layer(
  'reshape',
  {
    // No -1 entries: tfjs would leave that dimension unknown, and flatten/dense after it fail to build.
    targetShape: z.array(positiveInt()).min(1).describe('shape of each sample after the layer, e.g. [28, 28, 1]'),
  },
  'gives each sample a new shape with the same number of values',
);
const dense = layer(
  'dense',
  {
    units: positiveInt().describe('number of outputs'),
    ...weights('initial kernel (default glorotUniform)'),
  },
  'fully connected layer: outputs = activation(inputs · kernel + bias)',
);
const activationLayer = layer(
  'activation',
  {
    activation: activation().describe('activation function applied element-wise'),
  },
  'applies an activation function; Keras models often write it after a dense layer',
);
const conv2d = layer(
  'conv2d',
  {
    filters: positiveInt().describe('number of output channels'),
    kernelSize: intOrPair('convolution window'),
    strides: intOrPair('step of the window (default 1)').optional(),
    padding: padding().optional(),
    dilationRate: intOrPair('spacing between window taps (default 1)').optional(),
    ...weights('initial kernel (default glorotUniform)'),
  },
  '2-D convolution over [rows, cols, channels] samples',
);
const batchNormalization = layer(
  'batchNormalization',
  {
    axis: z.number().int().min(-8).max(8).optional().describe('the feature axis to normalize (default -1: the last)'),
    momentum: z.number().min(0).max(1).optional().describe('momentum of the moving averages (default 0.99)'),
    epsilon: z
      .number()
      .positive()
      .optional()
      .describe('added to the variance to avoid dividing by zero (default 0.001)'),
    center: z.boolean().optional().describe('learn an offset beta (default true)'),
    scale: z.boolean().optional().describe('learn a factor gamma (default true)'),
    betaInitializer: initializer('initial beta (default zeros)').optional(),
    gammaInitializer: initializer('initial gamma (default ones)').optional(),
    movingMeanInitializer: initializer('initial moving mean (default zeros)').optional(),
    movingVarianceInitializer: initializer('initial moving variance (default ones)').optional(),
    betaRegularizer: regularizer('penalty on beta').optional(),
    gammaRegularizer: regularizer('penalty on gamma').optional(),
  },
  'normalizes each feature over the batch, then scales and shifts it',
);
const padWidth = () => z.number().int().min(0).max(BOUNDS.side);
const zeroPadding2d = layer(
  'zeroPadding2d',
  {
    // 0 is allowed, as in tfjs and Keras: [[0, 1], [0, 1]] pads only the bottom and right.
    padding: z
      .union([
        padWidth(),
        z.tuple([padWidth(), padWidth()]),
        z.tuple([z.tuple([padWidth(), padWidth()]), z.tuple([padWidth(), padWidth()])]),
      ])
      .optional()
      .describe(
        'zeros to add: n on every side, [rows, cols] on both sides, or [[top, bottom], [left, right]] (default 1)',
      ),
  },
  'adds rows and columns of zeros around each image',
);
const dropout = layer(
  'dropout',
  {
    rate: z.number().min(0).lt(1).describe('fraction of inputs set to 0 while training'),
  },
  'randomly zeroes a fraction of its inputs while training (a regularizer)',
);

export const LayerSchema = z
  .discriminatedUnion('type', [
    flatten,
    reshape,
    dense,
    activationLayer,
    conv2d,
    pooling('maxPooling2d', 'keeps the largest value of each window'),
    pooling('averagePooling2d', 'averages each window'),
    layer(
      'globalAveragePooling2d',
      {},
      'averages each channel over the whole image: [rows, cols, channels] to [channels]',
    ),
    layer('globalMaxPooling2d', {}, 'keeps the largest value of each channel: [rows, cols, channels] to [channels]'),
    zeroPadding2d,
    batchNormalization,
    dropout,
  ])
  .describe('one layer: `type` picks the tfjs layer, the other keys are its tfjs arguments');

export type LayerSpec = z.infer<typeof LayerSchema>;
export type LayerType = LayerSpec['type'];

/** Every layer type, in the order the schema lists them. */
export const LAYER_TYPES = LayerSchema.options.map((o) => o.shape.type.value) as LayerType[];
