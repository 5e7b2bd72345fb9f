/** Per-class scores of one confusion matrix (rows actual, columns predicted). */
export interface ClassMetrics {
  digit: number;
  /** Test images of this class. */
  support: number;
  /** Of this class's images, the share labelled right: per-class accuracy. */
  recall: number;
  /** Of the images labelled this class, the share that were it; undefined when none were. */
  precision: number | undefined;
  f1: number | undefined;
}

/** Recall, precision and F1 per class; pure, so it is checked by hand in test/report.test.ts. */
export function classMetrics(m: number[][]): ClassMetrics[] {
  return m.map((row, i) => {
    const support = row.reduce((a, b) => a + b, 0);
    const said = m.reduce((a, r) => a + (r[i] ?? 0), 0);
    const hit = row[i] ?? 0;
    const recall = support ? hit / support : 0;
    const precision = said ? hit / said : undefined;
    const f1 =
      precision === undefined || precision + recall === 0 ? undefined : (2 * precision * recall) / (precision + recall);
    return { digit: i, support, recall, precision, f1 };
  });
}

/** The largest off-diagonal count: errors are shaded against it, not against their row. */
export function maxError(m: number[][]): number {
  return Math.max(0, ...m.flatMap((row, i) => row.filter((_, j) => j !== i)));
}

/**
 * How strongly to shade an error cell, in [0, 1]: log scale relative to the largest error, so a
 * good model's 17 errors of 4→9 (largest) are fully red and a single stray error still shows.
 */
export function errorShade(count: number, largest: number): number {
  if (count <= 0 || largest <= 0) return 0;
  return 0.15 + 0.85 * (Math.log1p(count) / Math.log1p(largest));
}
