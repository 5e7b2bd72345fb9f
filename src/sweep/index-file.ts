import type { RunRecord } from '../run/read.js';
import { csvLines } from '../util/csv.js';
import type { PlannedRun } from './format.js';

export type SweepRunStatus = 'pending' | 'running' | 'completed' | 'failed' | 'interrupted' | 'diverged' | 'crashed';

/** One line of index.csv. */
export interface IndexRow {
  id: string;
  label: string;
  overrides: string[];
  status: SweepRunStatus;
  testAccuracy?: number;
  testLoss?: number;
  epochs?: number;
  seconds?: number;
  dir: string;
  error?: string;
}

export const INDEX_HEADER = [
  'id',
  'label',
  'overrides',
  'status',
  'test_accuracy',
  'test_loss',
  'epochs',
  'seconds',
  'run_dir',
  'error',
];

/** The run folder's own word, once its process is over; `running` then means it ended without one. */
const FINAL: Partial<Record<RunRecord['status'], SweepRunStatus>> = {
  interrupted: 'interrupted',
  diverged: 'diverged',
  crashed: 'crashed',
  running: 'crashed',
};

/** The part of a run folder a row needs; readRun gives it, and so can a synchronous read at a forced exit. */
export type RowSource = Pick<RunRecord, 'status' | 'meta' | 'summary'>;

/** The row a finished (or unfinished) run folder gives; `fallbackError` covers runs that never wrote meta.json. */
export function rowFromRun(run: PlannedRun, rec: RowSource | undefined, fallbackError?: string): IndexRow {
  const s = rec?.summary;
  const status: SweepRunStatus =
    rec?.status === 'completed' && s ? 'completed' : ((rec && FINAL[rec.status]) ?? 'failed');
  const error = status === 'completed' ? undefined : (rec?.meta?.error ?? fallbackError);
  return {
    id: run.id,
    label: run.label,
    overrides: run.overrides,
    status,
    testAccuracy: s?.testAccuracy,
    testLoss: s?.testLoss ?? undefined, // null: the loss was NaN
    epochs: s?.epochsRun,
    seconds: s?.trainSeconds,
    dir: run.dir,
    error: error?.split('\n')[0],
  };
}

/** A finished row in a few words, for the sweep's progress lines: the results, or why it failed. */
export const rowResult = (r: IndexRow) =>
  r.status === 'completed'
    ? `acc=${r.testAccuracy?.toFixed(4)} loss=${r.testLoss?.toFixed(4)} ${r.seconds?.toFixed(1)}s`
    : (r.error ?? '');

const num = (v: number | undefined, digits: number) =>
  v === undefined || !Number.isFinite(v) ? '' : v.toFixed(digits);

export function indexCsv(rows: IndexRow[]): string {
  return csvLines([
    INDEX_HEADER,
    ...rows.map((r) => [
      r.id,
      r.label,
      r.overrides.join(' '),
      r.status,
      num(r.testAccuracy, 4),
      num(r.testLoss, 4),
      r.epochs ?? '',
      num(r.seconds, 1),
      r.dir,
      r.error ?? '',
    ]),
  ]);
}
