import { UsageError } from '../errors.js';
import type { RunRecord } from '../run/read.js';
import { isStat, meanStd, type Stat } from './stats.js';

export type Cell = string | number | boolean | null | Stat | undefined;

export interface CompareTable {
  columns: string[];
  rows: Cell[][];
  /** Whether replicates (runs differing only by seed) were folded into mean ± std rows. */
  collapsed: boolean;
}

export const RESULT_COLUMNS = [
  'test_accuracy',
  'test_loss',
  'best_epoch',
  'epochs',
  'seconds',
  'samples_per_s',
] as const;

export interface LabelledRun {
  label: string;
  record: RunRecord;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Config keys whose value is not the same in every run (missing counts as a value), in first-seen order. */
export function differingKeys(configs: Record<string, unknown>[]): string[] {
  const keys = [...new Set(configs.flatMap((c) => Object.keys(c)))];
  return keys.filter((k) => configs.some((c) => !same(c[k], configs[0]![k])));
}

export function results(r: RunRecord): Record<(typeof RESULT_COLUMNS)[number], number | undefined> {
  const s = r.summary;
  return {
    test_accuracy: s?.testAccuracy,
    test_loss: s?.testLoss ?? undefined, // null: the loss was NaN
    best_epoch: s?.bestEpoch,
    epochs: s?.epochsRun,
    seconds: s?.trainSeconds,
    samples_per_s: s?.trainSamplesPerSecond,
  };
}

/** Everything a --filter or --sort can name: config keys, results, status and the run's label. */
function fields(run: LabelledRun): Record<string, unknown> {
  return { run: run.label, status: run.record.status, ...run.record.config, ...results(run.record) };
}

function matches(value: unknown, wanted: string): boolean {
  if (typeof value === 'number') return value === Number(wanted);
  return String(value) === wanted || JSON.stringify(value) === wanted;
}

/** `KEY=VALUE` filters: every one must hold. An unknown key is a usage error that lists the known ones. */
export function applyFilters(runs: LabelledRun[], filters: string[]): LabelledRun[] {
  const known = new Set(runs.flatMap((r) => Object.keys(fields(r))));
  return filters.reduce((kept, f) => {
    const eq = f.indexOf('=');
    if (eq <= 0) throw new UsageError(`--filter ${f}: expected KEY=VALUE, e.g. --filter optimizer.type=adam`);
    const key = f.slice(0, eq);
    if (!known.has(key)) {
      throw new UsageError(
        `--filter ${f}: no run has the key "${key}"; keys: ${[...known].slice(0, 40).join(', ')}${known.size > 40 ? ', …' : ''}`,
      );
    }
    return kept.filter((r) => matches(fields(r)[key], f.slice(eq + 1)));
  }, runs);
}

/** Groups runs that differ only by seed; a group of one stays a plain row. */
function collapse(
  runs: LabelledRun[],
  keys: string[],
): { label: string; config: Record<string, unknown>; members: LabelledRun[] }[] {
  const groups = new Map<string, LabelledRun[]>();
  for (const r of runs) {
    const id = JSON.stringify(keys.map((k) => r.record.config[k] ?? null));
    groups.set(id, [...(groups.get(id) ?? []), r]);
  }
  return [...groups.values()].map((members) => ({
    label:
      members.length > 1
        ? `${members[0]!.label.replace(/\s*seed=\S+/, '')} (${members.length} seeds)`
        : members[0]!.label,
    config: members[0]!.record.config,
    members,
  }));
}

function plainRow(r: LabelledRun, keys: string[]): Cell[] {
  const res = results(r.record);
  return [
    r.label,
    ...keys.map((k) => r.record.config[k] as Cell),
    r.record.status,
    ...RESULT_COLUMNS.map((c) => res[c]),
  ];
}

/** The comparison: one row per run (or replicate group), the differing config keys, then the results. */
export function compareTable(
  all: LabelledRun[],
  o: { filters?: string[]; sort?: string; collapse?: boolean } = {},
): CompareTable {
  const runs = applyFilters(all, o.filters ?? []);
  const keys = differingKeys(runs.map((r) => r.record.config));
  const byGroup = keys.filter((k) => k !== 'seed');
  const groups = o.collapse === false || !keys.includes('seed') ? [] : collapse(runs, byGroup);
  const collapsed = groups.some((g) => g.members.length > 1);
  const columns = collapsed
    ? ['run', ...byGroup, 'status', ...RESULT_COLUMNS]
    : ['run', ...keys, 'status', ...RESULT_COLUMNS];
  const rows = collapsed
    ? groups.map((g) => {
        const statuses = [...new Set(g.members.map((m) => m.record.status))].join('/');
        const stats = RESULT_COLUMNS.map((c) =>
          g.members.length > 1 ? meanStd(g.members.map((m) => results(m.record)[c])) : results(g.members[0]!.record)[c],
        );
        return [g.label, ...byGroup.map((k) => g.config[k] as Cell), statuses, ...stats];
      })
    : runs.map((r) => plainRow(r, keys));
  return { columns, rows: o.sort ? sortRows(columns, rows, o.sort) : rows, collapsed };
}

const sortValue = (c: Cell) => (isStat(c) ? c.mean : c);

/** `--sort KEY` ascending, `--sort KEY:desc` descending; empty cells last either way. */
export function sortRows(columns: string[], rows: Cell[][], spec: string): Cell[][] {
  const [key, dir = 'asc'] = spec.split(':');
  const i = columns.indexOf(key!);
  if (i < 0) throw new UsageError(`--sort ${spec}: no column "${key}"; columns: ${columns.join(', ')}`);
  if (dir !== 'asc' && dir !== 'desc') throw new UsageError(`--sort ${spec}: expected KEY, KEY:asc or KEY:desc`);
  const sign = dir === 'desc' ? -1 : 1;
  return [...rows].sort((a, b) => {
    const x = sortValue(a[i]);
    const y = sortValue(b[i]);
    if (x === undefined || x === null) return y === undefined || y === null ? 0 : 1;
    if (y === undefined || y === null) return -1;
    return (
      sign *
      (typeof x === 'number' && typeof y === 'number'
        ? x - y
        : String(x).localeCompare(String(y), 'en', { numeric: true }))
    );
  });
}
