import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { parse } from 'yaml';
import { RUN_FILES, type RunStatus } from '../run/files.js';
import type { RunMeta } from '../run/meta.js';
import type { RunSummary } from '../run/write-results.js';
import { parseCsv } from './csv.js';

/**
 * A run folder as far as it can be read. Every part is optional: runs from older versions, runs
 * that failed early and half-copied folders show what they have instead of failing the command.
 */
export interface RunRecord {
  dir: string;
  name: string;
  status: RunStatus | 'unknown';
  meta?: Partial<RunMeta>;
  summary?: Partial<RunSummary>;
  /** The resolved config flattened to dotted keys: `model.layers.1.units`. */
  config: Record<string, unknown>;
  /** What could not be read, for the reader, never thrown. */
  problems: string[];
}

/** Flattens nested objects and lists into dotted keys; lists index by position like `--set` does. */
export function flatten(value: unknown, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  if (value !== null && typeof value === 'object') {
    const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
    if (entries.length === 0 && prefix) out[prefix] = value;
    for (const [k, v] of entries) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix) out[prefix] = value;
  return out;
}

type Reader<T> = (text: string) => T;
const asJson: Reader<unknown> = (t) => JSON.parse(t);

async function readPart<T>(dir: string, file: string, read: Reader<T>, problems: string[]): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, file), 'utf8');
  } catch {
    problems.push(`${file} missing`);
    return undefined;
  }
  try {
    return read(text);
  } catch (err) {
    problems.push(`${file} unreadable: ${(err as Error).message.split('\n')[0]}`);
    return undefined;
  }
}

export async function readRun(dir: string): Promise<RunRecord> {
  const problems: string[] = [];
  const meta = (await readPart(dir, RUN_FILES.meta, asJson, problems)) as Partial<RunMeta> | undefined;
  const summary = (await readPart(dir, RUN_FILES.summary, asJson, problems)) as Partial<RunSummary> | undefined;
  const config = await readPart(dir, RUN_FILES.resolvedConfig, (t) => flatten(parse(t)), problems);
  const status = meta?.status ?? (summary ? 'completed' : 'unknown');
  return { dir, name: basename(dir), status, meta, summary, config: config ?? {}, problems };
}

/** Per-epoch records from metrics.jsonl; a torn last line (a crash mid-write) is dropped. */
export async function readMetrics(dir: string): Promise<Record<string, number>[]> {
  const text = await readFile(join(dir, RUN_FILES.metrics), 'utf8').catch(() => '');
  return text.split('\n').flatMap((line) => {
    try {
      return line.trim() ? [JSON.parse(line) as Record<string, number>] : [];
    } catch {
      return [];
    }
  });
}

/** confusion_matrix.csv as counts[actual][predicted], or undefined when absent. */
export async function readConfusion(dir: string): Promise<number[][] | undefined> {
  const text = await readFile(join(dir, RUN_FILES.confusion), 'utf8').catch(() => undefined);
  if (!text) return undefined;
  return parseCsv(text.trim())
    .slice(1)
    .map((r) => r.slice(1).map(Number));
}
