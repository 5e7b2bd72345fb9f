/** Keras and Python spellings users bring along (the notebook itself writes `lr` and `acc`). */
const ALIASES: Record<string, string> = {
  lr: 'learningRate',
  acc: 'accuracy',
  mse: 'meanSquaredError',
  mae: 'meanAbsoluteError',
  mape: 'meanAbsolutePercentageError',
  msle: 'meanSquaredLogarithmicError',
  kld: 'kullbackLeiblerDivergence',
  nb_epoch: 'epochs',
  batch_size: 'batchSize',
  pool_size: 'poolSize',
  kernel_size: 'kernelSize',
};

/** Case, `_` and `-` do not count: `categorical_crossentropy` is `categoricalCrossentropy`. */
const norm = (w: string) => w.toLowerCase().replace(/[_-]/g, '');

/** Edit distance between normalized words; swapping two neighbours (`tset`) counts as one edit. */
function distance(a: string, b: string): number {
  const s = norm(a);
  const t = norm(b);
  const d = Array.from({ length: s.length + 1 }, (_, i) =>
    Array.from({ length: t.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= s.length; i++) {
    for (let j = 1; j <= t.length; j++) {
      const row = d[i]!;
      row[j] = Math.min(d[i - 1]![j]! + 1, row[j - 1]! + 1, d[i - 1]![j - 1]! + (s[i - 1] === t[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1])
        row[j] = Math.min(row[j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[s.length]![t.length]!;
}

/**
 * The option a typo most likely meant: `unit` → `units`, `Relu` → `relu`, `lr` → `learningRate`,
 * `categorical_crossentropy` → `categoricalCrossentropy`. Undefined when nothing is close (at most a third of the word differs).
 */
export function didYouMean(word: string, options: readonly string[]): string | undefined {
  const alias = ALIASES[word];
  if (alias && options.includes(alias)) return alias;
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(word.length / 3)) + 1;
  for (const option of options) {
    // A cut-short word (`std` for `stddev`) counts as one edit away.
    const cut = word.length >= 3 && norm(option).startsWith(norm(word));
    const d = cut ? Math.min(1, distance(word, option)) : distance(word, option);
    if (d < bestDistance) [best, bestDistance] = [option, d];
  }
  return best;
}
