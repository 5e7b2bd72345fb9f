import { augmentIssues } from './augment.js';
import { type ConfigIssue, error, warning } from './issue.js';
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
  if (ctx.shapeIssues.length) return ctx.shapeIssues;
  const out = ctx.shapes[ctx.shapes.length - 1] ?? ctx.inputShape;
  if (out.length === 1 && out[0] === ctx.numClasses) return [];
  const layers = cfg.model.layers;
  const last = layers.length - 1;
  const lastDense = layers.map((l) => l.type).lastIndexOf('dense');
  const gives = `the last layer must give ${ctx.numClasses} outputs (one per class), it gives ${formatShape(out)}`;
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

/** Augmentation's own checks: flips change what a digit is, nonsense ranges. */
const augmentation: Check = (cfg) => (cfg.augment ? augmentIssues(cfg.augment, 'augment') : []);

/** Every check, by name; each sees the config and the inferred shapes. */
export const CHECKS: Record<string, Check> = {
  outputShape,
  lossMatchesOutput,
  monitorIsComputed,
  batchFitsData,
  augmentation,
};

/** Runs every check on a config the schema accepted. */
export function checkConfig(cfg: Config, numClasses = 10, inputShape: number[] = [28, 28]): ConfigIssue[] {
  const { shapes, issues } = inferShapes(cfg.model.layers, inputShape);
  const ctx: CheckContext = { numClasses, inputShape, shapes, shapeIssues: issues };
  return Object.values(CHECKS).flatMap((check) => check(cfg, ctx));
}
