/**
 * The names tfjs-layers 4.22.0 accepts, spelled as tfjs spells them, so the compiler can pass them
 * straight through. Each list was checked against the installed tfjs (see test/config-schema.test.ts).
 */

/** tfjs's ActivationIdentifier. Note `gelu_new` is the one snake_case name tfjs registers. */
export const ACTIVATIONS = [
  'elu',
  'hardSigmoid',
  'linear',
  'relu',
  'relu6',
  'selu',
  'sigmoid',
  'softmax',
  'softplus',
  'softsign',
  'tanh',
  'swish',
  'mish',
  'gelu',
  'gelu_new',
] as const;

/** Keys of tfjs-layers' lossesMap. */
export const LOSSES = [
  'meanSquaredError',
  'meanAbsoluteError',
  'meanAbsolutePercentageError',
  'meanSquaredLogarithmicError',
  'categoricalCrossentropy',
  'sparseCategoricalCrossentropy',
  'categoricalHinge',
  'hinge',
  'squaredHinge',
  'logcosh',
  'kullbackLeiblerDivergence',
  'poisson',
  'cosineProximity',
  'binaryCrossentropy',
] as const;

/** Losses that read the output as class probabilities, so the network must end in softmax. */
export const PROBABILITY_LOSSES: readonly string[] = [
  'categoricalCrossentropy',
  'sparseCategoricalCrossentropy',
  'kullbackLeiblerDivergence',
];

/**
 * Metrics a run can report. tfjs's compile() knows `meanSquaredError`/`meanAbsoluteError` only as
 * `mse`/`mae`; the model compiler maps them.
 */
export const METRICS = ['accuracy', 'categoricalCrossentropy', 'meanSquaredError', 'meanAbsoluteError'] as const;

/** Initializers usable by name alone (every one whose tfjs arguments are all optional). */
export const INITIALIZER_NAMES = [
  'zeros',
  'ones',
  'glorotUniform',
  'glorotNormal',
  'heUniform',
  'heNormal',
  'leCunUniform',
  'leCunNormal',
  'randomUniform',
  'randomNormal',
  'truncatedNormal',
  'orthogonal',
  'varianceScaling',
] as const;
