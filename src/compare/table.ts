import { relative } from 'node:path';
import { didYouMean } from '../config/suggest.js';
import { UsageError } from '../errors.js';
import type { RunRecord } from '../run/read.js';
import { filterRuns } from './filter.js';
import { foldGroup, isTagKey, modelTexts, optimizerText, tagsOf } from './fold.js';
import { isStat, meanStd, type Stat } from './stats.js';

export type Cell = string | number | boolean | null | Stat | undefined;

export interface CompareTable {
  columns: string[];
  rows: Cell[][];
  /** Whether replicates (runs differing only by seed) were folded into mean ± std rows. */
  collapsed: boolean;
  /** The columns a text table prints, in order; csv and json write all of `columns`. */
  shown?: string[];
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

/** The results a table shows first, before any config key; epochs and throughput come after the keys. */
const LEAD_RESULTS = ['test_accuracy', 'test_loss', 'best_epoch', 'seconds'] as const;
const TAIL_RESULTS = RESULT_COLUMNS.filter((c) => !(LEAD_RESULTS as readonly string[]).includes(c));

/** Everything a --filter, --sort or --columns can name for one run. */
function fields(run: LabelledRun, model: string | undefined, cwd?: string): Record<string, unknown> {
  const c = run.record.config;
  return {
    run: run.label,
    status: run.record.status,
    dir: cwd ? relative(cwd, run.record.dir) || '.' : run.record.dir,
    ...c,
    optimizer: optimizerText(c),
    model,
    tags: tagsOf(c),
    notes: c.notes,
    ...results(run.record),
  };
}

/** `KEY=VALUE`, `KEY>N`, `KEY!=V`, `tag=NAME`…: every one must hold (see filter.ts). */
export function applyFilters(runs: LabelledRun[], filters: string[]): LabelledRun[] {
  const models = modelTexts(runs.map((r) => r.record.config));
  const index = new Map(runs.map((r, i) => [r, i]));
  return filterRuns(runs, filters, (r) => fields(r, models[index.get(r)!]));
}

/** Groups runs that differ only by seed; a group of one stays a plain row. */
function collapse(runs: LabelledRun[], keys: string[]): LabelledRun[][] {
  const groups = new Map<string, LabelledRun[]>();
  for (const r of runs) {
    const id = JSON.stringify(keys.map((k) => r.record.config[k] ?? null));
    groups.set(id, [...(groups.get(id) ?? []), r]);
  }
  return [...groups.values()];
}

/** The config columns: differing keys with optimizer.* and model.layers.* folded into one column each, in first-seen order. */
export function configColumns(keys: string[]): { shown: string[]; folded: string[] } {
  const shown: string[] = [];
  const folded: string[] = [];
  for (const k of keys) {
    const group = foldGroup(k);
    if (group) {
      folded.push(k);
      if (!shown.includes(group)) shown.push(group);
    } else if (!isTagKey(k) && k !== 'notes') shown.push(k);
  }
  return { shown, folded };
}

const cell = (v: unknown): Cell => (Array.isArray(v) ? v.join(',') || undefined : (v as Cell));

/** One row: a run, or a group of replicates with mean ± std results. */
function row(members: LabelledRun[], columns: string[], valuesOf: (r: LabelledRun) => Record<string, unknown>): Cell[] {
  const first = valuesOf(members[0]!);
  if (members.length === 1) return columns.map((c) => cell(first[c]));
  const res = new Set<string>(RESULT_COLUMNS);
  return columns.map((c) => {
    if (res.has(c)) return meanStd(members.map((m) => valuesOf(m)[c] as number | undefined));
    if (c === 'run') return `${members[0]!.label.replace(/\s*seed=\S+/, '')} (${members.length} seeds)`;
    if (c === 'status' || c === 'dir')
      return [...new Set(members.map((m) => String(valuesOf(m)[c])))].join(c === 'dir' ? ';' : '/');
    return cell(first[c]);
  });
}

/** `--columns` names checked against what the runs have; an unknown one gets a did-you-mean. */
function chosen(wanted: string[], known: string[]): string[] {
  for (const w of wanted) {
    if (known.includes(w)) continue;
    const guess = didYouMean(w, known);
    throw new UsageError(
      `--columns ${w}: no such column${guess ? ` (did you mean ${guess}?)` : ''}; columns: ${known.slice(0, 50).join(', ')}${known.length > 50 ? ', …' : ''}`,
    );
  }
  return wanted;
}

export interface TableOptions {
  filters?: string[];
  sort?: string;
  collapse?: boolean;
  /** The columns a text table shows, in order (csv and json still write every column). */
  columns?: string[];
  /** The `dir` column is relative to this folder when given. */
  cwd?: string;
}

/**
 * The comparison: one row per run (or replicate group). Results first, then the config keys that
 * differ (optimizer and layers folded), then epochs and throughput; `shown` is what a text table
 * prints, `columns` everything (also the raw folded keys, notes and the run folder) for csv and json.
 */
export function compareTable(all: LabelledRun[], o: TableOptions = {}): CompareTable {
  const runs = applyFilters(all, o.filters ?? []);
  const models = modelTexts(runs.map((r) => r.record.config));
  const values = new Map(runs.map((r, i) => [r, fields(r, models[i], o.cwd)]));
  const valuesOf = (r: LabelledRun) => values.get(r)!;
  const keys = differingKeys(runs.map((r) => r.record.config));
  const byGroup = keys.filter((k) => k !== 'seed');
  const groups = o.collapse === false || !keys.includes('seed') ? [] : collapse(runs, byGroup);
  const collapsed = groups.some((g) => g.length > 1);
  const { shown: config, folded } = configColumns(collapsed ? byGroup : keys);
  const has = (c: string) => runs.some((r) => cell(valuesOf(r)[c]) !== undefined);
  const tags = has('tags') ? ['tags'] : [];
  const lead = ['run', 'status', ...LEAD_RESULTS, ...tags, ...config];
  const extraKeys = [...new Set(runs.flatMap((r) => Object.keys(r.record.config)))].filter(
    (k) => !lead.includes(k) && !isTagKey(k),
  );
  const picked = o.columns?.length
    ? chosen(o.columns, [
        ...new Set([...lead, ...TAIL_RESULTS, 'optimizer', 'model', 'tags', 'notes', 'dir', ...extraKeys]),
      ])
    : undefined;
  const columns = [
    ...new Set([...lead, ...TAIL_RESULTS, ...folded, ...(has('notes') ? ['notes'] : []), 'dir', ...(picked ?? [])]),
  ];
  const rows = (collapsed ? groups : runs.map((r) => [r])).map((m) => row(m, columns, valuesOf));
  return { columns, rows: o.sort ? sortRows(columns, rows, o.sort) : rows, collapsed, shown: picked ?? lead };
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
