import { z } from 'zod';

/**
 * Optimizers keyed by their `tf.train.<type>` factory; hyperparameters are that factory's argument
 * names with its defaults filled in, so a resolved config states every number the run used.
 * Where tfjs has no default learning rate, Keras's is used. `epsilon` stays unset unless given:
 * tfjs then takes its backend's epsilon (1e-7).
 */

const rate = (dflt: number) => z.number().positive().max(100).default(dflt).describe(`step size (default ${dflt})`);
const epsilon = z
  .number()
  .positive()
  .optional()
  .describe('small constant for numerical stability (default: the backend epsilon, 1e-7)');
const beta = (which: string, dflt: number) =>
  z.number().min(0).lt(1).default(dflt).describe(`decay rate of the ${which} moment estimates (default ${dflt})`);

const optimizer = <K extends string, T extends z.ZodRawShape>(type: K, shape: T, what: string) =>
  z.strictObject({ type: z.literal(type).describe('optimizer: the tf.train factory name'), ...shape }).describe(what);

export const OptimizerSchema = z
  .discriminatedUnion('type', [
    optimizer('sgd', { learningRate: rate(0.01) }, 'plain stochastic gradient descent'),
    optimizer(
      'momentum',
      {
        learningRate: rate(0.01),
        momentum: z.number().min(0).max(1).describe('momentum factor, e.g. 0.9 (required: tfjs has no default)'),
        useNesterov: z.boolean().default(false).describe('use Nesterov momentum (default false)'),
      },
      'gradient descent with momentum',
    ),
    optimizer(
      'adam',
      {
        learningRate: rate(0.001),
        beta1: beta('first', 0.9),
        beta2: beta('second', 0.999),
        epsilon,
      },
      'Adam',
    ),
    optimizer(
      'rmsprop',
      {
        learningRate: rate(0.001),
        decay: z.number().min(0).max(1).default(0.9).describe('discount of the gradient history (default 0.9)'),
        momentum: z.number().min(0).max(1).default(0).describe('momentum factor (default 0)'),
        epsilon,
        centered: z.boolean().default(false).describe('normalize by the estimated gradient variance (default false)'),
      },
      'RMSProp',
    ),
    optimizer(
      'adagrad',
      {
        learningRate: rate(0.01),
        initialAccumulatorValue: z
          .number()
          .positive()
          .default(0.1)
          .describe('starting value of the accumulators (default 0.1)'),
      },
      'Adagrad',
    ),
    optimizer(
      'adadelta',
      {
        learningRate: rate(0.001),
        rho: z.number().min(0).max(1).default(0.95).describe('decay rate (default 0.95)'),
        epsilon,
      },
      'Adadelta',
    ),
    optimizer(
      'adamax',
      {
        learningRate: rate(0.002),
        beta1: beta('first', 0.9),
        beta2: beta('second', 0.999),
        epsilon,
        decay: z.number().min(0).max(1).default(0).describe('learning-rate decay per update (default 0)'),
      },
      'Adamax',
    ),
  ])
  .describe('the optimizer: `type` picks tf.train.<type>, the other keys are its arguments');

export type OptimizerSpec = z.infer<typeof OptimizerSchema>;
