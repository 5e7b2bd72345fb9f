import { csvLines } from '../util/csv.js';
import { clip, fitColumns } from './fit.js';
import { isStat, type Stat } from './stats.js';
import type { Cell, CompareTable } from './table.js';

export const FORMATS = ['table', 'markdown', 'csv', 'json'] as const;
export type Format = (typeof FORMATS)[number];

/** Decimals per result column: accuracies and losses to 4, seconds to 1, throughput whole. */
const DIGITS: Record<string, number> = { test_accuracy: 4, test_loss: 4, seconds: 1, samples_per_s: 0 };

function numberText(v: number, digits: number | undefined): string {
  if (digits !== undefined) return v.toFixed(digits);
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
}

function statText(s: Stat, digits: number | undefined): string {
  return `${numberText(s.mean, digits)} ± ${numberText(s.std, digits)} (n=${s.n})`;
}

export function cellText(c: Cell, column: string): string {
  if (c === undefined || c === null) return '';
  if (isStat(c)) return statText(c, DIGITS[column]);
  if (typeof c === 'number') return numberText(c, DIGITS[column]);
  return typeof c === 'object' ? JSON.stringify(c) : String(c);
}

const numeric = (t: CompareTable, i: number) => t.rows.some((r) => typeof r[i] === 'number' || isStat(r[i]));

/** The indices of the columns a text table prints: `shown` where the table says, else all. */
const shownAt = (t: CompareTable) => (t.shown ?? t.columns).map((c) => t.columns.indexOf(c)).filter((i) => i >= 0);

/** Aligned columns; with a width, fitted to it (fit.ts) and a footer line naming what was left out. */
function textTable(t: CompareTable, width?: number): string {
  const at = shownAt(t);
  const names = at.map((i) => t.columns[i]!);
  const cells = t.rows.map((r) => at.map((i) => cellText(r[i], t.columns[i]!)));
  const natural = names.map((h, j) => Math.max(h.length, ...cells.map((r) => r[j]!.length)));
  const fit = width
    ? fitColumns(names, natural, width)
    : { keep: names.map((_, j) => ({ i: j, width: natural[j]! })), dropped: [], clipped: false };
  const right = at.map((i) => numeric(t, i));
  const line = (r: string[]) => {
    const text = fit.keep
      .map(({ i, width: w }) => (right[i] ? clip(r[i]!, w).padStart(w) : clip(r[i]!, w).padEnd(w)))
      .join('  ')
      .trimEnd();
    return width ? clip(text, width) : text;
  };
  const lines = [line(names), line(fit.keep.map(({ width: w }) => '-'.repeat(w))), ...cells.map(line)];
  if (fit.dropped.length) {
    const n = fit.dropped.length;
    const note = `${n} column${n > 1 ? 's' : ''} left out to fit ${width} characters (${fit.dropped.join(', ')}): choose with --columns, or see all with --format csv`;
    lines.push(width ? clip(note, width) : note);
  }
  return lines.join('\n');
}

function markdown(t: CompareTable): string {
  const at = shownAt(t);
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  const rule = at.map((i) => (numeric(t, i) ? '---:' : '---'));
  const row = (r: string[]) => `| ${r.map(esc).join(' | ')} |`;
  return [
    row(at.map((i) => t.columns[i]!)),
    `|${rule.join('|')}|`,
    ...t.rows.map((r) => row(at.map((i) => cellText(r[i], t.columns[i]!)))),
  ].join('\n');
}

/** CSV stays machine-readable: a mean ± std column becomes COL, COL_std and one shared n. */
function csv(t: CompareTable): string {
  const stats = t.columns.map((_, i) => t.rows.some((r) => isStat(r[i])));
  const head = t.columns.flatMap((c, i) => (stats[i] ? [c, `${c}_std`] : [c]));
  if (t.collapsed) head.push('n');
  const rows = t.rows.map((r) => {
    const out = r.flatMap((c, i) =>
      stats[i]
        ? isStat(c)
          ? [c.mean, c.std]
          : [c ?? '', '']
        : [typeof c === 'object' && c !== null ? JSON.stringify(c) : (c ?? '')],
    );
    if (t.collapsed) out.push(r.find(isStat)?.n ?? 1);
    return out;
  });
  return csvLines([head, ...rows]).trimEnd();
}

function json(t: CompareTable): string {
  return JSON.stringify(
    t.rows.map((r) => Object.fromEntries(t.columns.map((c, i) => [c, r[i] ?? null]))),
    null,
    2,
  );
}

/** `width` limits a text table only (markdown, csv and json are for other programs: no limit). */
export function formatTable(t: CompareTable, format: Format, o: { width?: number } = {}): string {
  if (format === 'table') return textTable(t, o.width);
  return { markdown, csv, json }[format](t);
}
