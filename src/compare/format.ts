import { csvLines } from '../util/csv.js';
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

function textTable(t: CompareTable): string {
  const cells = t.rows.map((r) => r.map((c, i) => cellText(c, t.columns[i]!)));
  const widths = t.columns.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)));
  const right = t.columns.map((_, i) => numeric(t, i));
  const line = (r: string[]) =>
    r
      .map((v, i) => (right[i] ? v.padStart(widths[i]!) : v.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(t.columns), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

function markdown(t: CompareTable): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  const rule = t.columns.map((_, i) => (numeric(t, i) ? '---:' : '---'));
  const row = (r: string[]) => `| ${r.map(esc).join(' | ')} |`;
  return [
    row(t.columns),
    `|${rule.join('|')}|`,
    ...t.rows.map((r) => row(r.map((c, i) => cellText(c, t.columns[i]!)))),
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

export function formatTable(t: CompareTable, format: Format): string {
  return { table: textTable, markdown, csv, json }[format](t);
}
