/** A result over replicates: mean, sample standard deviation (n − 1; 0 for one run) and count. */
export interface Stat {
  mean: number;
  std: number;
  n: number;
}

export function isStat(v: unknown): v is Stat {
  return typeof v === 'object' && v !== null && 'mean' in v && 'std' in v && 'n' in v;
}

/** Mean ± std of the finite values; undefined when there are none (every replicate failed, say). */
export function meanStd(values: (number | undefined)[]): Stat | undefined {
  const xs = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  if (xs.length === 0) return undefined;
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const variance = xs.length > 1 ? xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1) : 0;
  return { mean, std: Math.sqrt(variance), n: xs.length };
}
