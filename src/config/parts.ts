import { z } from 'zod';
import { ACTIVATIONS, INITIALIZER_NAMES } from './names.js';

/** Building blocks shared by the layer schemas. Key names are tfjs argument names. */

/**
 * Upper bounds on sizes. Far above anything that trains on MNIST-sized images, they keep a typo
 * (units: 1e9) from reaching tfjs, where it is a crash or hours of allocation, not an error; what
 * fits below them is left to the memory estimate (memory.ts).
 */
export const BOUNDS = {
  /** dense units, conv2d filters, a reshape's dimension. */
  width: 1_048_576,
  /** A window, a stride, a dilation, padding: one side of an image. */
  side: 4096,
} as const;

export const positiveInt = (max: number = BOUNDS.width) => z.number().int().positive().max(max);

/** A size given once for both spatial axes, or as [rows, cols] (tfjs accepts both). */
export const intOrPair = (what: string) =>
  z
    .union([positiveInt(BOUNDS.side), z.tuple([positiveInt(BOUNDS.side), positiveInt(BOUNDS.side)])])
    .describe(`${what}: one integer for both axes, or [rows, cols]`);

export const padding = () =>
  z
    .enum(['valid', 'same'])
    .describe(
      "'valid' (no padding: the output shrinks) or 'same' (zero-pads so the output keeps its size at stride 1)",
    );

export const activation = () => z.enum(ACTIVATIONS).describe('activation function, by its tfjs name');

const initializerName = z.enum(INITIALIZER_NAMES);

const initVariant = <K extends string, T extends z.ZodRawShape>(type: K, shape: T, what: string) =>
  z.strictObject({ type: z.literal(type).describe('initializer name'), ...shape }).describe(what);

const meanStddev = {
  mean: z.number().optional().describe('mean of the distribution (default 0)'),
  stddev: z.number().positive().optional().describe('standard deviation of the distribution (default 0.05)'),
};

/** Initializers that take no arguments (beyond the seed the compiler derives) in object form too. */
const plain = <K extends string>(type: K) => initVariant(type, {}, `${type} initializer`);

const initializerObject = z.discriminatedUnion('type', [
  plain('zeros'),
  plain('ones'),
  plain('glorotUniform'),
  plain('glorotNormal'),
  plain('heUniform'),
  plain('heNormal'),
  plain('leCunUniform'),
  plain('leCunNormal'),
  initVariant(
    'constant',
    { value: z.number().describe('the value every weight starts at') },
    'every weight starts at `value`',
  ),
  initVariant(
    'randomUniform',
    {
      minval: z.number().optional().describe('lower bound (default -0.05)'),
      maxval: z.number().optional().describe('upper bound (default 0.05)'),
    },
    'uniform in [minval, maxval)',
  ),
  initVariant('randomNormal', meanStddev, 'normal distribution'),
  initVariant('truncatedNormal', meanStddev, 'normal distribution, redrawing values beyond 2 stddev'),
  initVariant(
    'orthogonal',
    { gain: z.number().optional().describe('multiplicative factor (default 1)') },
    'random orthogonal matrix',
  ),
  initVariant(
    'varianceScaling',
    {
      scale: z.number().positive().optional().describe('scaling factor (default 1)'),
      mode: z
        .enum(['fanIn', 'fanOut', 'fanAvg'])
        .optional()
        .describe('which fan the variance is scaled by (default fanIn)'),
      distribution: z
        .enum(['normal', 'uniform', 'truncatedNormal'])
        .optional()
        .describe('distribution to draw from (default normal)'),
    },
    'variance scaled by the layer fan',
  ),
]);

/** A tfjs initializer: its name, or `{type: name, ...its args}`. Seeds are not configurable: the compiler derives them from `seed`. */
export const initializer = (what: string) =>
  z
    .union([initializerName, initializerObject])
    .describe(`${what}: an initializer name, or {type: name, ...its tfjs arguments}`);

/** l1/l2 weight penalty; tfjs's l1l2 regularizer. */
export const regularizer = (what: string) =>
  z
    .strictObject({
      l1: z.number().min(0).optional().describe('L1 penalty factor'),
      l2: z.number().min(0).optional().describe('L2 penalty factor'),
    })
    .refine((r) => r.l1 !== undefined || r.l2 !== undefined, {
      message: 'expected l1, l2 or both, received neither; e.g. {l2: 0.001}',
    })
    .describe(`${what}: {l1?, l2?} penalty factors`);
