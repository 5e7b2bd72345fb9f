import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { EpochMetrics } from '../run/read.js';
import { escapeXml as esc } from './escape.js';

/** A chart per quantity, train and validation overlaid: what a reader compares to spot overfitting. */
const PANELS = [
  { title: 'loss', keys: ['loss', 'val_loss'] },
  { title: 'accuracy', keys: ['accuracy', 'val_accuracy'] },
] as const;

export interface ChartSpec {
  id: string;
  title: string;
  /** uPlot's columnar data: epochs, then one column per series (null where an epoch lacks it). */
  data: (number | null)[][];
  series: string[];
}

/** The charts one run gets: only panels and series it has numbers for. */
export function chartSpecs(anchor: string, metrics: EpochMetrics[]): ChartSpec[] {
  const epochs = metrics.filter((m) => typeof m.epoch === 'number');
  return PANELS.flatMap((p) => {
    const keys = p.keys.filter((k) => epochs.some((m) => Number.isFinite(m[k])));
    if (!keys.length) return [];
    const col = (k: string) => epochs.map((m) => (Number.isFinite(m[k]) ? (m[k] as number) : null));
    return [
      {
        id: `${anchor}-${p.title}`,
        title: p.title,
        data: [epochs.map((m) => m.epoch!), ...keys.map(col)],
        series: keys,
      },
    ];
  });
}

export const chartDiv = (c: ChartSpec) => `<div class="chart" id="${esc(c.id)}" aria-label="${esc(c.title)}"></div>`;

/** uPlot's script and style, read from node_modules at build time so the page needs no network. */
export async function uplotAssets(): Promise<{ js: string; css: string }> {
  const dist = join(dirname(createRequire(import.meta.url).resolve('uplot/package.json')), 'dist');
  const [js, css] = await Promise.all([
    readFile(join(dist, 'uPlot.iife.min.js'), 'utf8'),
    readFile(join(dist, 'uPlot.min.css'), 'utf8'),
  ]);
  return { js, css };
}

/**
 * Draws every chart; points are always on so a one-epoch run is a visible marker, and a single
 * epoch gets a range around it instead of a zero-width axis. The legend shows values on hover.
 */
export const CHARTS_JS = `(function () {
  var specs = JSON.parse(document.getElementById('chart-data').textContent);
  var colours = ['#1f77b4', '#d62728'];
  var pad = function (u, lo, hi) { return lo === hi ? [lo - 1, hi + 1] : [lo, hi]; };
  specs.forEach(function (c) {
    var el = document.getElementById(c.id);
    var series = [{ label: 'epoch' }].concat(c.series.map(function (name, i) {
      return { label: name, stroke: colours[i % 2], width: 2, dash: name.indexOf('val_') === 0 ? [6, 3] : undefined,
        points: { show: true, size: 7, fill: colours[i % 2] }, value: function (u, v) { return v == null ? '–' : v.toFixed(4); } };
    }));
    new uPlot({ title: c.title, width: 420, height: 240, series: series,
      scales: { x: { time: false, range: pad }, y: { range: function (u, lo, hi) { return lo === hi ? [lo - Math.abs(lo || 1) * 0.05, hi + Math.abs(hi || 1) * 0.05] : [lo, hi]; } } },
      axes: [{ label: 'epoch', incrs: [1, 2, 5, 10, 20, 50, 100] }, {}] }, c.data, el);
  });
})();`;
