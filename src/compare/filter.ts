import { didYouMean } from '../config/suggest.js';
import { UsageError } from '../errors.js';

/** What a run offers a --filter: config keys, results, status, label, and the folded columns. */
export type Fields = Record<string, unknown>;

const OPS = ['>=', '<=', '!=', '=', '>', '<', '~'] as const;
type Op = (typeof OPS)[number];
const FILTER = /^([^<>=!~\s][^<>=!~]*?)\s*(>=|<=|!=|=|>|<|~)\s*(.*)$/;
const EXAMPLE = 'e.g. --filter test_accuracy>0.97, --filter optimizer.type!=sgd, --filter tag=baseline';

export interface Filter {
  text: string;
  key: string;
  op: Op;
  value: string;
}

export function parseFilter(text: string): Filter {
  const m = FILTER.exec(text.trim());
  if (!m || m[3] === '')
    throw new UsageError(`--filter ${text}: expected KEY OP VALUE with OP one of ${OPS.join(' ')}; ${EXAMPLE}`);
  const [, key, op, value] = m as unknown as [string, string, Op, string];
  if ('<>'.includes(op[0]!) && !Number.isFinite(Number(value)))
    throw new UsageError(`--filter ${text}: ${op} compares numbers, received "${value}"; ${EXAMPLE}`);
  return { text, key, op, value };
}

const asText = (v: unknown) => (typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v));

/** `tag=NAME` holds when the run has that tag; `tag!=NAME` when it does not; `tags~NAME` matches the comma-joined list. */
function holds(f: Filter, fields: Fields): boolean {
  if (f.key === 'tag') {
    const tags = (fields.tags as string[] | undefined) ?? [];
    if (f.op === '~') return tags.some((t) => t.includes(f.value));
    return f.op === '=' ? tags.includes(f.value) : f.op === '!=' ? !tags.includes(f.value) : false;
  }
  const v = fields[f.key];
  const shown = Array.isArray(v) ? v.join(',') : asText(v);
  const num = typeof v === 'number' ? v : undefined;
  const want = Number(f.value);
  const equal = num !== undefined && Number.isFinite(want) ? num === want : shown === f.value;
  switch (f.op) {
    case '=':
      return v !== undefined && equal;
    case '!=':
      return !equal;
    case '~':
      return v !== undefined && shown.includes(f.value);
    default:
      if (num === undefined) return false; // no result (a failed run) never passes a comparison
      return { '>': num > want, '>=': num >= want, '<': num < want, '<=': num <= want }[f.op];
  }
}

/** Keeps the runs every filter holds for; an unknown key is a usage error with a did-you-mean and the known keys. */
export function filterRuns<T>(runs: T[], texts: string[], fieldsOf: (r: T) => Fields): T[] {
  const filters = texts.map(parseFilter);
  const all = runs.map(fieldsOf);
  const known = [...new Set([...all.flatMap((f) => Object.keys(f)), 'tag'])];
  for (const f of filters) {
    if (known.includes(f.key)) continue;
    const guess = didYouMean(f.key, known);
    throw new UsageError(
      `--filter ${f.text}: no run has the key "${f.key}"${guess ? ` (did you mean ${guess}?)` : ''}; keys: ${known.slice(0, 40).join(', ')}${known.length > 40 ? ', …' : ''}`,
    );
  }
  return runs.filter((_, i) => filters.every((f) => holds(f, all[i]!)));
}
