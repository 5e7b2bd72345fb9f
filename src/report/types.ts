import type { LabelledRun } from '../compare/table.js';
import type { EpochMetrics } from '../run/read.js';
import type { Mistake } from './mistakes.js';

/** What the page shows of one run, gathered by build.ts. */
export interface ReportRun {
  label: string;
  dir: string;
  status: string;
  record: LabelledRun['record'];
  /** Why a run that did not complete stopped (diverged, failed, crashed…). */
  error?: string;
  config: Record<string, unknown>;
  /** config.resolved.yaml as written, shown whole. */
  configText?: string;
  metrics: EpochMetrics[];
  confusion?: number[][];
  mistakes?: Mistake[];
  /** Why there are no mistakes to show, said instead of silently omitted. */
  note?: string;
}

export interface ReportData {
  title: string;
  generated: string;
  runs: ReportRun[];
  differing: string[];
  /** uPlot's minified script and stylesheet, inlined. */
  assets: { js: string; css: string };
}
