import { CHARTS_JS, type ChartSpec, chartDiv, chartSpecs } from './charts.js';
import { classTableHtml, confusionHtml } from './confusion.js';
import { escapeXml as esc } from './escape.js';
import { digitDataUri } from './png.js';
import { anchorOf, resultsTable, SORT_JS } from './table.js';
import type { ReportData, ReportRun } from './types.js';

export type { ReportData, ReportRun } from './types.js';

function mistakesHtml(r: ReportRun): string {
  if (!r.mistakes?.length) return `<p class="note">${esc(r.note ?? 'no misclassified test images')}</p>`;
  const figs = r.mistakes.map(
    (m) =>
      `<figure><img class="digit" width="56" height="56" alt="test image ${m.index}" src="${digitDataUri(m.pixels, m.cols, m.rows)}">` +
      `<figcaption>true <b>${m.actual}</b> · said <b>${m.predicted}</b><br>${(m.confidence * 100).toFixed(1)}% · #${m.index}</figcaption></figure>`,
  );
  return `<div class="digits">${figs.join('')}</div>`;
}

/** The config's own `tags` and `notes` (flattened: `tags.0`, `tags.1`… and `notes`). */
function tagsHtml(c: Record<string, unknown>): string {
  const tags = Object.keys(c)
    .filter((k) => k === 'tags' || k.startsWith('tags.'))
    .map((k) => c[k])
    .filter((v) => v !== undefined && !(Array.isArray(v) && !v.length));
  const notes = typeof c.notes === 'string' ? `<p class="notes">${esc(c.notes)}</p>` : '';
  const chips = tags.map((t) => `<span class="tag">${esc(String(t))}</span>`).join('');
  return (chips ? `<p class="tags">${chips}</p>` : '') + notes;
}

function runHtml(r: ReportRun, i: number, charts: ChartSpec[]): string {
  const plots = charts.length ? charts.map(chartDiv).join('') : '<p class="note">no metrics.jsonl: no curves</p>';
  const matrix = r.confusion
    ? `<div class="matrix">${confusionHtml(r.confusion)}${classTableHtml(r.confusion)}</div>`
    : '<p class="note">no confusion_matrix.csv</p>';
  const config = r.configText
    ? `<details class="config"><summary>full config (config.resolved.yaml)</summary><pre>${esc(r.configText)}</pre></details>`
    : '<p class="note">no config.resolved.yaml</p>';
  return (
    `<section class="run" id="${anchorOf(i)}"><h3>${esc(r.label)} <small>(${esc(r.status)})</small></h3><p class="note">${esc(r.dir)}</p>` +
    (r.error ? `<p class="error">${esc(r.status)}: ${esc(r.error)}</p>` : '') +
    `${tagsHtml(r.config)}<div class="charts">${plots}</div>${matrix}` +
    `<h4>most confidently wrong</h4>${mistakesHtml(r)}${config}</section>`
  );
}

const CSS = `body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222}h1{font-size:22px}h2{margin-top:32px;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:8px 0}th,td{border:1px solid #ddd;padding:3px 7px;text-align:left}td.num{text-align:right;font-variant-numeric:tabular-nums}
.scroll{overflow-x:auto}table.compare th{cursor:pointer;background:#f6f6f6;white-space:nowrap}table.compare th[data-dir=asc]::after{content:" ▲"}table.compare th[data-dir=desc]::after{content:" ▼"}
tr.best-row{background:#fff8d6}.best{color:#a66b00;font-weight:600;white-space:nowrap}.charts{display:flex;flex-wrap:wrap;gap:12px}
.run{border-top:1px solid #ddd;padding-top:8px;margin-bottom:24px}.run:target h3{background:#fff8d6}.matrix{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}
.confusion td{text-align:right;min-width:2.2em}.classes td{min-width:3.5em}.tag{display:inline-block;background:#e8eefc;border-radius:10px;padding:0 8px;margin-right:4px}
.notes{font-style:italic}.digits{display:flex;flex-wrap:wrap;gap:8px}figure{margin:0;text-align:center;font-size:11px}img.digit{image-rendering:pixelated;border:1px solid #ccc}
.note{color:#777}.error{color:#b00020}details.config pre{background:#f6f6f6;padding:8px;overflow-x:auto}`;

/** The whole report: one HTML file with its CSS, JS (uPlot inlined), data and images, readable offline. */
export function reportHtml(d: ReportData): string {
  const charts = d.runs.map((r, i) => chartSpecs(anchorOf(i), r.metrics));
  // JSON inside <script>: escape "<" so a run label cannot close the tag.
  const data = JSON.stringify(charts.flat()).replace(/</g, '\\u003c');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(d.title)}</title><style>${d.assets.css}</style><style>${CSS}</style></head><body>
<h1>${esc(d.title)}</h1><p class="note">${d.runs.length} runs · generated ${esc(d.generated)} · click a column header to sort</p>
<h2>Comparison</h2><div class="scroll">${resultsTable(d.runs, d.differing)}</div>
<h2>Runs</h2>${d.runs.map((r, i) => runHtml(r, i, charts[i]!)).join('')}
<script type="application/json" id="chart-data">${data}</script>
<script>${d.assets.js}</script><script>${SORT_JS}
${CHARTS_JS}</script></body></html>
`;
}
