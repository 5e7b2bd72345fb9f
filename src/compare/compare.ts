import { readRun } from '../run/read.js';
import { findRuns } from './find.js';
import { type CompareTable, compareTable, type LabelledRun } from './table.js';

export interface CompareOptions {
  paths: string[];
  cwd: string;
  filters?: string[];
  sort?: string;
  collapse?: boolean;
  columns?: string[];
}

/** Reads every run the paths name (files only: never tfjs) and labels each by its sweep label or folder name. */
export async function loadRuns(paths: string[], cwd: string): Promise<LabelledRun[]> {
  const refs = await findRuns(paths, cwd);
  const records = await Promise.all(refs.map((r) => readRun(r.dir)));
  return records.map((record, i) => ({ label: refs[i]!.label ?? record.name, record }));
}

export async function compareRuns(o: CompareOptions): Promise<CompareTable> {
  return compareTable(await loadRuns(o.paths, o.cwd), o);
}
