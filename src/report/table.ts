import { type RESULT_COLUMNS, results } from '../compare/table.js';
import { escapeXml as esc } from './escape.js';
import type { ReportRun } from './types.js';

/** The results a reader looks at first, then the config keys that differ between runs. */
const LEAD = [
  'test_accuracy',
  'test_loss',
  'best_epoch',
  'seconds',
] as const satisfies readonly (typeof RESULT_COLUMNS)[number][];

/** The run a reader most likely wants: the highest test accuracy among completed runs. */
export function bestRun(runs: ReportRun[]): number | undefined {
  let best: number | undefined;
  for (const [i, r] of runs.entries()) {
    const acc = results(r.record).test_accuracy;
    if (r.status !== 'completed' || acc === undefined) continue;
    if (best === undefined || acc > results(runs[best]!.record).test_accuracy!) best = i;
  }
  return best;
}

/** A stable, HTML-safe id for a run's section. */
export const anchorOf = (i: number) => `run-${i + 1}`;

function num(v: number | undefined, column: string): string {
  if (v === undefined || !Number.isFinite(v)) return '<td class="num" data-v="">–</td>';
  const text =
    column === 'test_accuracy'
      ? `${(v * 100).toFixed(2)}%`
      : column === 'seconds'
        ? v.toFixed(1)
        : String(Number(v.toPrecision(4)));
  return `<td class="num" data-v="${v}">${text}</td>`;
}

function keyCell(v: unknown): string {
  if (typeof v === 'number') return `<td class="num" data-v="${v}">${v}</td>`;
  const text = v === undefined ? '–' : typeof v === 'string' ? v : JSON.stringify(v);
  return `<td data-v="${esc(text)}">${esc(text)}</td>`;
}

/** The results-first comparison table: every header sorts (see the page script), the best run is marked. */
export function resultsTable(runs: ReportRun[], differing: string[]): string {
  const best = bestRun(runs);
  const cols = ['run', 'status', ...LEAD, ...differing];
  const head = cols
    .map(
      (c, i) =>
        `<th data-col="${i}" data-type="${i >= 2 && i < 2 + LEAD.length ? 'num' : 'text'}" tabindex="0">${esc(c)}</th>`,
    )
    .join('');
  const rows = runs.map((r, i) => {
    const res = results(r.record);
    const mark =
      i === best ? ' <span class="best" title="highest test accuracy among completed runs">★ best</span>' : '';
    return (
      `<tr${i === best ? ' class="best-row"' : ''}><td data-v="${esc(r.label)}"><a href="#${anchorOf(i)}">${esc(r.label)}</a>${mark}</td>` +
      `<td data-v="${esc(r.status)}">${esc(r.status)}</td>${LEAD.map((c) => num(res[c], c)).join('')}` +
      `${differing.map((k) => keyCell(r.config[k])).join('')}</tr>`
    );
  });
  return `<table class="compare"><thead><tr>${head}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** Click a header to sort by it, click again to reverse; numbers sort as numbers, blanks last. */
export const SORT_JS = `document.querySelectorAll('table.compare th').forEach(function (th) {
  th.addEventListener('click', function () {
    var table = th.closest('table'), body = table.tBodies[0], col = +th.dataset.col, num = th.dataset.type === 'num';
    var dir = th.dataset.dir === 'asc' ? 'desc' : 'asc';
    table.querySelectorAll('th').forEach(function (h) { delete h.dataset.dir; h.removeAttribute('aria-sort'); });
    th.dataset.dir = dir; th.setAttribute('aria-sort', dir === 'asc' ? 'ascending' : 'descending');
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = a.cells[col].dataset.v, y = b.cells[col].dataset.v;
      if (x === '' || y === '') return x === y ? 0 : x === '' ? 1 : -1;
      var c = num ? x - y : String(x).localeCompare(String(y), undefined, { numeric: true });
      return dir === 'asc' ? c : -c;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  });
});`;
