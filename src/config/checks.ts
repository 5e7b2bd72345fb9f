import { augmentIssues } from './augment.js';
import { type DataFacts, dataNote, MNIST } from './data-facts.js';
import { type ConfigIssue, error, warning } from './issue.js';
import { estimateMemory, type MemoryEstimate, memoryIssues } from './memory.js';
import { PROBABILITY_LOSSES } from './names.js';
import type { Config, LayerSpec } from './schema.js';
import { formatShape, inferShapes } from './shapes.js';
import { didYouMean } from './suggest.js';

/**
 * Checks that need more than one field, run after the schema has passed. Each is small and named;
 * an error stops the run before any tfjs loads, a warning is logged with the run.
 */

export type { ConfigIssue } from './issue.js';

export interface CheckContext {
  numClasses: number;
  /** One sample's shape as the data gives it: [rows, cols]. */
  inputShape: number[];
  /** Every layer's output shape; shorter than the layers when inference stopped at an issue. */
  shapes: number[][];
  shapeIssues: ConfigIssue[];
  data: DataFacts;
  /** Bytes of memory training may use (the machine's). */
  memory: number;
  /** Undefined when shape inference stopped at an issue. */
  estimate?: MemoryEstimate;
}

export type Check = (cfg: Config, ctx: CheckContext) => ConfigIssue[];

/** Layers that pass values through unchanged at prediction time, so the activation before them is the output's. */
const TRANSPARENT = new Set<LayerSpec['type']>(['dropout', 'flatten', 'reshape', 'batchNormalization']);

/** The activation the network's output comes out of, and where it is set. */
function outputActivation(layers: readonly LayerSpec[]): { name: string; path: string } {
  for (let i = layers.length - 1; i >= 0; i--) {
    const layer = layers[i]!;
    if (TRANSPARENT.has(layer.type)) continue;
    const at = `model.layers[${i}]`;
    if ('activation' in layer && layer.activation) return { name: layer.activation, path: `${at}.activation` };
    return { name: 'linear', path: at };
  }
  return { name: 'linear', path: 'model.layers' };
}

/** The network must end in one score per class: [numClasses]. */
const outputShape: Check = (cfg, ctx) => {
  const note = dataNote(ctx.data);
  if (ctx.shapeIssues.length) return ctx.shapeIssues.map((i) => ({ ...i, message: i.message + note }));
  const out = ctx.shapes[ctx.shapes.length - 1] ?? ctx.inputShape;
  if (out.length === 1 && out[0] === ctx.numClasses) return [];
  const layers = cfg.model.layers;
  const last = layers.length - 1;
  const lastDense = layers.map((l) => l.type).lastIndexOf('dense');
  const gives = `the last layer must give ${ctx.numClasses} outputs (one per class), it gives ${formatShape(out)}${note}`;
  if (out.length === 1 && lastDense >= 0 && (ctx.shapes[lastDense]?.length ?? 0) === 1) {
    return [error(`model.layers[${lastDense}].units`, `${gives}; set units: ${ctx.numClasses}`)];
  }
  return [
    error(`model.layers[${last}]`, `${gives}; end with {type: flatten} then {type: dense, units: ${ctx.numClasses}}`),
  ];
};

/** Cross-entropy losses read the output as probabilities; MSE on them works, slowly. */
const lossMatchesOutput: Check = (cfg) => {
  const act = outputActivation(cfg.model.layers);
  if (PROBABILITY_LOSSES.includes(cfg.loss) && act.name !== 'softmax') {
    return [
      error(
        act.path,
        `loss ${cfg.loss} expects class probabilities, but the network's output activation is ${act.name}; ` +
          'end with {type: activation, activation: softmax} or set activation: softmax on the last dense layer',
      ),
    ];
  }
  if (cfg.loss === 'meanSquaredError' && act.name === 'softmax') {
    return [
      warning(
        'loss',
        'meanSquaredError on a softmax output is allowed, but trains slowly, as the notebook shows ' +
          '(12.8% test accuracy after 5 epochs of sgd); categoricalCrossentropy learns far faster',
      ),
    ];
  }
  return [];
};

/** Early stopping and reduce-on-plateau can only watch a number the run computes. */
const monitorIsComputed: Check = (cfg) => {
  const watchers: [string, string][] = [];
  if (cfg.train.earlyStopping) watchers.push(['train.earlyStopping.monitor', cfg.train.earlyStopping.monitor]);
  const lr = cfg.train.lrSchedule;
  if (lr?.type === 'reduceOnPlateau') watchers.push(['train.lrSchedule.monitor', lr.monitor]);
  const trained = ['loss', ...cfg.metrics];
  const validating = cfg.train.validation !== 'none';
  const computed = validating ? [...trained, ...trained.map((m) => `val_${m}`)] : trained;
  return watchers.flatMap(([path, monitor]) => {
    if (computed.includes(monitor)) return [];
    if (!validating && monitor.startsWith('val_') && trained.includes(monitor.slice(4))) {
      return [
        error(
          path,
          `${monitor} is only computed when validating, and train.validation is none; ` +
            `set train.validation to test or {split: 0.1}, or monitor ${monitor.slice(4)}`,
        ),
      ];
    }
    const meant = didYouMean(monitor, computed);
    return [
      error(
        path,
        `expected one of: ${computed.join(', ')}, received "${monitor}"${meant ? `; did you mean ${meant}?` : ''}`,
      ),
    ];
  });
};

const batchFitsData: Check = (cfg) => {
  const n = cfg.data.trainSize;
  if (n === undefined || cfg.train.batchSize <= n) return [];
  return [
    warning(
      'train.batchSize',
      `batchSize ${cfg.train.batchSize} is larger than data.trainSize ${n}: every epoch is one batch of ${n}`,
    ),
  ];
};

/** A split the data folder cannot fill; the bundled MNIST's sizes are checked when it loads. */
const sizesFitData: Check = (cfg, ctx) => {
  if (!ctx.data.files) return [];
  const sizes = [
    ['trainSize', cfg.data.trainSize, ctx.data.trainCount, 'training'],
    ['testSize', cfg.data.testSize, ctx.data.testCount, 'test'],
  ] as const;
  return sizes.flatMap(([key, wanted, available, split]) =>
    wanted !== undefined && wanted > available
      ? [
          error(
            `data.${key}`,
            `expected at most ${available} (the data folder's ${split} images), received ${wanted}; lower it or leave it out to use them all`,
          ),
        ]
      : [],
  );
};

/**
 * tfjs 4.22 has no gradient for a dilated convolution on any backend ("dilation rates greater than
 * 1 are not yet supported in gradients"): such a model builds, then fails at its first step.
 */
const dilationTrains: Check = (cfg) =>
  cfg.model.layers.flatMap((l, i) =>
    l.type === 'conv2d' && l.dilationRate !== undefined && [l.dilationRate].flat().some((d) => d > 1)
      ? [
          error(
            `model.layers[${i}].dilationRate`,
            `expected 1, received ${JSON.stringify(l.dilationRate)}: tfjs 4.22 cannot train a dilated convolution (it has no gradient for one); remove dilationRate, or widen kernelSize instead`,
          ),
        ]
      : [],
  );

/** Memory and tfjs's tensor-size limit: refused here rather than after minutes of allocation. */
const fitsInMemory: Check = (cfg, ctx) => (ctx.estimate ? memoryIssues(cfg, ctx.estimate, ctx.memory) : []);

/** Augmentation's own checks: flips change what a digit is, nonsense ranges. */
const augmentation: Check = (cfg) => (cfg.augment ? augmentIssues(cfg.augment, 'augment') : []);

/** Every check, by name; each sees the config and the inferred shapes. */
export const CHECKS: Record<string, Check> = {
  outputShape,
  lossMatchesOutput,
  monitorIsComputed,
  batchFitsData,
  sizesFitData,
  dilationTrains,
  augmentation,
  fitsInMemory,
};

/** The context every check sees: shapes inferred on the data's images, and the memory estimate when they are known. */
export function checkContext(cfg: Config, data: DataFacts = MNIST, memory = Number.POSITIVE_INFINITY): CheckContext {
  const inputShape = [data.rows, data.cols];
  const { shapes, issues } = inferShapes(cfg.model.layers, inputShape);
  const trainCount = Math.min(cfg.data.trainSize ?? data.trainCount, data.trainCount);
  const testCount = Math.min(cfg.data.testSize ?? data.testCount, data.testCount);
  const estimate = issues.length
    ? undefined
    : estimateMemory(cfg, inputShape, shapes, { trainCount, testCount, pixels: data.rows * data.cols });
  return {
    numClasses: data.numClasses,
    inputShape,
    shapes,
    shapeIssues: issues,
    data,
    memory,
    ...(estimate && { estimate }),
  };
}

/** Runs every check on a config the schema accepted. */
export function checkConfig(cfg: Config, data: DataFacts = MNIST, memory = Number.POSITIVE_INFINITY): ConfigIssue[] {
  const ctx = checkContext(cfg, data, memory);
  return Object.values(CHECKS).flatMap((check) => check(cfg, ctx));
}
