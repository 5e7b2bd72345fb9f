import { classMetrics, errorShade, maxError } from './class-metrics.js';

const pct = (v: number | undefined) => (v === undefined ? '–' : `${(v * 100).toFixed(1)}%`);

/**
 * Counts as a heat map: the diagonal green by its row share, errors red on a log scale against
 * the largest error, so the few errors of a good model still stand out.
 */
export function confusionHtml(m: number[][]): string {
  const largest = maxError(m);
  const head = m.map((_, j) => `<th>${j}</th>`).join('');
  const rows = m.map((row, i) => {
    const total = row.reduce((a, b) => a + b, 0) || 1;
    const cells = row.map((v, j) => {
      if (!v) return '<td></td>';
      const bg =
        i === j ? `rgba(44,160,44,${(v / total).toFixed(3)})` : `rgba(214,39,40,${errorShade(v, largest).toFixed(3)})`;
      return `<td class="${i === j ? 'hit' : 'err'}" style="background:${bg}">${v}</td>`;
    });
    return `<tr><th>${i}</th>${cells.join('')}</tr>`;
  });
  return `<table class="confusion"><thead><tr><th>actual \\ predicted</th>${head}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** Recall (per-class accuracy), precision and F1 beside the matrix. */
export function classTableHtml(m: number[][]): string {
  const rows = classMetrics(m).map(
    (c) =>
      `<tr><th>${c.digit}</th><td class="num">${c.support}</td><td class="num">${pct(c.recall)}</td><td class="num">${pct(c.precision)}</td><td class="num">${pct(c.f1)}</td></tr>`,
  );
  return `<table class="classes"><thead><tr><th>digit</th><th>n</th><th>recall</th><th>precision</th><th>F1</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}
