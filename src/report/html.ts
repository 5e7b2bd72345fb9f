import { cellText } from '../compare/format.js';
import type { CompareTable } from '../compare/table.js';
import type { EpochMetrics } from '../run/read.js';
import type { Mistake } from './mistakes.js';
import { digitDataUri } from './png.js';
import { escapeXml as esc, lineChart, seriesStyle } from './svg.js';

export interface ReportRun {
  label: string;
  dir: string;
  status: string;
  /** Why a run that did not complete stopped (diverged, failed, crashed…). */
  error?: string;
  config: Record<string, unknown>;
  metrics: EpochMetrics[];
  confusion?: number[][];
  mistakes?: Mistake[];
  /** Why there are no mistakes to show (no model saved, data missing…), said instead of silently omitted. */
  note?: string;
}

export interface ReportData {
  title: string;
  generated: string;
  table: CompareTable;
  runs: ReportRun[];
  differing: string[];
}

const NOT_CURVES = new Set(['epoch', 'seconds', 'samples_per_second']);

/** One chart per metric (loss, accuracy, val_loss…), every run overlaid, in the order metrics first appear. */
export function curves(runs: ReportRun[]): string[] {
  const metrics = [...new Set(runs.flatMap((r) => r.metrics.flatMap((m) => Object.keys(m))))].filter(
    (k) => !NOT_CURVES.has(k),
  );
  return metrics.map((metric) =>
    lineChart(
      metric,
      'epoch',
      runs.map((r, i) => ({
        name: r.label,
        ...seriesStyle(i),
        points: r.metrics
          .filter((m) => typeof m[metric] === 'number')
          .map((m) => [m.epoch!, m[metric]!] as [number, number]),
      })),
    ),
  );
}

function legend(runs: ReportRun[]): string {
  const items = runs.map((r, i) => {
    const s = seriesStyle(i);
    const line = `<svg width="26" height="10"><line x1="0" x2="26" y1="5" y2="5" stroke="${s.color}" stroke-width="2.5"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/></svg>`;
    return `<button type="button" class="key" data-series="${i}" title="show/hide">${line} ${esc(r.label)}</button>`;
  });
  return `<div class="legend">${items.join('')}</div>`;
}

function tableHtml(t: CompareTable): string {
  const head = t.columns.map((c) => `<th>${esc(c)}</th>`).join('');
  const numeric = (c: unknown) => typeof c === 'number' || (typeof c === 'object' && c !== null);
  const cell = (c: CompareTable['rows'][number][number], i: number) =>
    `<td${numeric(c) ? ' class="num"' : ''}>${esc(cellText(c, t.columns[i]!))}</td>`;
  const rows = t.rows.map((r) => `<tr>${r.map(cell).join('')}</tr>`);
  return `<table class="compare"><thead><tr>${head}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** Counts as a heat map: the diagonal green, errors red, each shaded by its share of the row. */
export function confusionHtml(m: number[][]): string {
  const head = m.map((_, j) => `<th>${j}</th>`).join('');
  const rows = m.map((row, i) => {
    const total = row.reduce((a, b) => a + b, 0) || 1;
    const cells = row.map((v, j) => {
      const a = (v / total).toFixed(3);
      const bg = i === j ? `rgba(44,160,44,${a})` : `rgba(214,39,40,${a})`;
      return `<td style="background:${v ? bg : 'transparent'}">${v || ''}</td>`;
    });
    return `<tr><th>${i}</th>${cells.join('')}</tr>`;
  });
  return `<table class="confusion"><thead><tr><th>actual \\ predicted</th>${head}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function mistakesHtml(r: ReportRun): string {
  if (!r.mistakes?.length) return `<p class="note">${esc(r.note ?? 'no misclassified test images')}</p>`;
  const figs = r.mistakes.map(
    (m) =>
      `<figure><img class="digit" width="56" height="56" alt="test image ${m.index}" src="${digitDataUri(m.pixels, m.cols, m.rows)}">` +
      `<figcaption>true <b>${m.actual}</b> · said <b>${m.predicted}</b><br>${(m.confidence * 100).toFixed(1)}% · #${m.index}</figcaption></figure>`,
  );
  return `<div class="digits">${figs.join('')}</div>`;
}

function configDiffHtml(runs: ReportRun[], keys: string[]): string {
  if (!keys.length || runs.length < 2) return '<p class="note">every run has the same config</p>';
  const head = `<th>key</th>${runs.map((r) => `<th>${esc(r.label)}</th>`).join('')}`;
  const rows = keys.map(
    (k) =>
      `<tr><td><code>${esc(k)}</code></td>${runs.map((r) => `<td>${esc(cellText(r.config[k] as never, k))}</td>`).join('')}</tr>`,
  );
  return `<div class="scroll"><table class="diff"><thead><tr>${head}</tr></thead><tbody>${rows.join('')}</tbody></table></div>`;
}

const CSS = `body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222}h1{font-size:22px}h2{margin-top:32px;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:8px 0}th,td{border:1px solid #ddd;padding:3px 7px;text-align:left}td.num{text-align:right;font-variant-numeric:tabular-nums}
.scroll{overflow-x:auto}.charts{display:flex;flex-wrap:wrap;gap:12px}.chart text{font-size:11px;fill:#444}.chart .title{font-size:13px;font-weight:600}
.chart .grid{stroke:#eee}.chart .axis{stroke:#888}.legend{display:flex;flex-wrap:wrap;gap:6px;margin:8px 0}.key{background:#fff;border:1px solid #ccc;border-radius:4px;cursor:pointer;font:inherit}
.key.off{opacity:.35}.run{display:inline-block;vertical-align:top;margin:0 24px 24px 0}.confusion td{text-align:right;min-width:2.2em}
.digits{display:flex;flex-wrap:wrap;gap:8px}figure{margin:0;text-align:center;font-size:11px}img.digit{image-rendering:pixelated;border:1px solid #ccc}.note{color:#777}.error{color:#b00020}`;

/** Clicking a legend entry hides or shows that run's line in every chart. */
const JS = `document.querySelectorAll('.key').forEach(function (b) {
  b.addEventListener('click', function () {
    var off = b.classList.toggle('off');
    document.querySelectorAll('.chart .series[data-series="' + b.getAttribute('data-series') + '"]').forEach(function (g) { g.style.display = off ? 'none' : ''; });
  });
});`;

/** The whole report: one HTML file with its CSS, JS, charts and images inline, readable offline. */
export function reportHtml(d: ReportData): string {
  const perRun = d.runs.map(
    (r) =>
      `<section class="run"><h3>${esc(r.label)} <small>(${esc(r.status)})</small></h3><p class="note">${esc(r.dir)}</p>` +
      (r.error ? `<p class="error">${esc(r.status)}: ${esc(r.error)}</p>` : '') +
      `${r.confusion ? confusionHtml(r.confusion) : '<p class="note">no confusion_matrix.csv</p>'}` +
      `<h4>most confidently wrong</h4>${mistakesHtml(r)}</section>`,
  );
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(d.title)}</title><style>${CSS}</style></head><body>
<h1>${esc(d.title)}</h1><p class="note">${d.runs.length} runs · generated ${esc(d.generated)}</p>
<h2>Comparison</h2><div class="scroll">${tableHtml(d.table)}</div>
<h2>Learning curves</h2>${legend(d.runs)}<div class="charts">${curves(d.runs).join('')}</div>
<h2>Config differences</h2>${configDiffHtml(d.runs, d.differing)}
<h2>Runs</h2>${perRun.join('')}
<script>${JS}</script></body></html>
`;
}
