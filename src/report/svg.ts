/** Server-side SVG charts: the report is one offline file, so no charting library from a CDN. */

export interface Series {
  name: string;
  color: string;
  dash?: string;
  points: [number, number][];
}

const PALETTE = [
  '#1f77b4',
  '#d62728',
  '#2ca02c',
  '#ff7f0e',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#17becf',
  '#bcbd22',
  '#7f7f7f',
];
const DASHES = ['', '6 3', '2 2', '8 3 2 3'];

/** A colour and dash per run index, distinct for the first 40. */
export function seriesStyle(i: number): { color: string; dash?: string } {
  const dash = DASHES[Math.floor(i / PALETTE.length) % DASHES.length];
  return { color: PALETTE[i % PALETTE.length]!, ...(dash ? { dash } : {}) };
}

export const escapeXml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** About `count` round tick values covering [lo, hi] (1, 2 or 5 times a power of ten apart). */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? 10 * pow;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

function extent(values: number[]): [number, number] {
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  if (lo === hi) return [lo - (Math.abs(lo) || 1) * 0.05, hi + (Math.abs(hi) || 1) * 0.05];
  return [lo, hi];
}

const W = 460;
const H = 260;
const M = { left: 56, right: 12, top: 28, bottom: 36 };

/** One metric over epochs, one line (with dots, so one-epoch runs still show) per run. */
export function lineChart(title: string, xLabel: string, series: Series[]): string {
  const pts = series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const [x0, x1] = extent(pts.map((p) => p[0]));
  const [y0, y1] = extent(pts.map((p) => p[1]));
  const sx = (x: number) => M.left + ((x - x0) / (x1 - x0)) * (W - M.left - M.right);
  const sy = (y: number) => H - M.bottom - ((y - y0) / (y1 - y0)) * (H - M.top - M.bottom);
  const xt = niceTicks(x0, x1).filter((t) => Number.isInteger(t));
  const yt = niceTicks(y0, y1);
  const grid = [
    ...yt.map((t) => {
      const y = sy(t).toFixed(1);
      return `<line x1="${M.left}" x2="${W - M.right}" y1="${y}" y2="${y}" class="grid"/><text x="${M.left - 6}" y="${(sy(t) + 4).toFixed(1)}" text-anchor="end">${t}</text>`;
    }),
    ...xt.map((t) => `<text x="${sx(t).toFixed(1)}" y="${H - M.bottom + 16}" text-anchor="middle">${t}</text>`),
  ];
  const lines = series.map((s, i) => {
    const ok = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    const d = ok.map(([x, y], j) => `${j ? 'L' : 'M'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join('');
    const dots = ok
      .map(([x, y]) => `<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="2.5" fill="${s.color}"/>`)
      .join('');
    const path = `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.8"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>`;
    return `<g class="series" data-series="${i}"><title>${escapeXml(s.name)}</title>${path}${dots}</g>`;
  });
  return [
    `<svg class="chart" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeXml(title)}" data-points="${pts.length}">`,
    `<text x="${W / 2}" y="16" text-anchor="middle" class="title">${escapeXml(title)}</text>`,
    ...grid,
    `<line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${H - M.bottom}" class="axis"/><line x1="${M.left}" x2="${W - M.right}" y1="${H - M.bottom}" y2="${H - M.bottom}" class="axis"/>`,
    `<text x="${(M.left + W - M.right) / 2}" y="${H - 4}" text-anchor="middle">${escapeXml(xLabel)}</text>`,
    ...lines,
    '</svg>',
  ].join('');
}
