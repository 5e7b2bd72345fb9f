/**
 * Reading run folders back, for compare, sweep and report: files only, never tfjs. Forgiving by
 * design: runs from older versions, runs that failed early and half-copied folders show what they
 * have, and what could not be read comes back as problems, never thrown.
 */
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { parse } from 'yaml';
import type { z } from 'zod';
import { RUN_FILES } from '../output-files.js';
import { parseCsv } from '../util/csv.js';
import {
  FORMAT_VERSION,
  issueLines,
  MetaSchema,
  type MetricsRecord,
  MetricsRecordSchema,
  type RunMeta,
  type RunStatus,
  type RunSummary,
  SummarySchema,
} from './format.js';
import { liveStatus, localProbe, type Probe } from './liveness.js';

/** The fields of a versioned file that could be read; formatVersion says how to read them, so it is not among them. */
export type Readable<T> = Partial<Omit<T, 'formatVersion'>>;

/** A run folder as far as it can be read. */
export interface RunRecord {
  dir: string;
  name: string;
  status: RunStatus | 'unknown';
  meta?: Readable<RunMeta>;
  summary?: Readable<RunSummary>;
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

/** Each schema with every field optional, made once: readMetrics decodes every line of every run. */
const partials = new WeakMap<z.ZodObject, z.ZodObject>();
const partialOf = (schema: z.ZodObject) => {
  const made = partials.get(schema) ?? schema.partial();
  partials.set(schema, made);
  return made;
};

/**
 * One versioned JSON object of `file`, as far as it reads. Version 0 (before formatVersion) may lack
 * any field; the current version must have them all; a newer version is a problem, and the fields
 * this code knows are still read. A field that does not match is a problem and is left out.
 */
export function decode<S extends z.ZodObject>(
  file: string,
  schema: S,
  raw: unknown,
): { value?: Readable<z.infer<S>>; problems: string[] } {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    return { problems: [`${file}: expected a JSON object, received ${raw === null ? 'null' : typeof raw}`] };
  const { formatVersion: version = 0, ...fields } = raw as Record<string, unknown>;
  const problems: string[] = [];
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 0)
    problems.push(`${file}: formatVersion: expected a whole number, received ${JSON.stringify(version)}`);
  else if (version > FORMAT_VERSION)
    problems.push(
      `${file}: formatVersion ${version} is newer than this mnist-run reads (up to ${FORMAT_VERSION}); upgrade it`,
    );
  const loose = partialOf(schema);
  const checked = version === FORMAT_VERSION ? schema.safeParse(raw) : loose.safeParse(fields);
  let data = checked.data;
  if (!checked.success) {
    problems.push(...issueLines(file, checked.error, raw));
    const bad = new Set(checked.error.issues.flatMap((i) => (i.path.length ? [i.path[0]] : 'keys' in i ? i.keys : [])));
    data = loose.safeParse(Object.fromEntries(Object.entries(fields).filter(([k]) => !bad.has(k)))).data;
  }
  if (!data) return { problems };
  const { formatVersion: _, ...value } = data as Record<string, unknown>;
  return { value: value as Readable<z.infer<S>>, problems };
}

type Reader<T> = (text: string, problems: string[]) => T;
const json =
  <S extends z.ZodObject>(file: string, schema: S): Reader<Readable<z.infer<S>> | undefined> =>
  (text, problems) => {
    const { value, problems: found } = decode(file, schema, JSON.parse(text));
    problems.push(...found);
    return value;
  };

async function readPart<T>(dir: string, file: string, read: Reader<T>, problems: string[]): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, file), 'utf8');
  } catch {
    problems.push(`${file} missing`);
    return undefined;
  }
  try {
    return read(text, problems);
  } catch (err) {
    problems.push(`${file} unreadable: ${(err as Error).message.split('\n')[0]}`);
    return undefined;
  }
}

/**
 * A run folder as far as it reads. Its status is the one it truly has: a run whose meta.json says
 * running but whose process is gone reads as crashed.
 */
export async function readRun(dir: string, probe: Probe = localProbe()): Promise<RunRecord> {
  const problems: string[] = [];
  const meta = await readPart(dir, RUN_FILES.meta, json(RUN_FILES.meta, MetaSchema), problems);
  const summary = await readPart(dir, RUN_FILES.summary, json(RUN_FILES.summary, SummarySchema), problems);
  const config = await readPart(dir, RUN_FILES.resolvedConfig, (t) => flatten(parse(t)), problems);
  const status = (meta && liveStatus(meta, probe)) ?? (summary ? 'completed' : 'unknown');
  return { dir, name: basename(dir), status, meta, summary, config: config ?? {}, problems };
}

/** One epoch of metrics.jsonl: epoch, seconds, samples_per_second and each metric (null where it was NaN). */
export type EpochMetrics = Readable<MetricsRecord>;

/**
 * Per-epoch records from metrics.jsonl, oldest first; none when the file is absent. A torn last line
 * (a crash mid-write) is dropped without a word; fields that do not match are dropped with a problem.
 */
export async function readMetrics(dir: string): Promise<{ epochs: EpochMetrics[]; problems: string[] }> {
  const text = await readFile(join(dir, RUN_FILES.metrics), 'utf8').catch(() => '');
  const problems = new Set<string>(); // a newer version says so on every line: once is enough
  const epochs = text.split('\n').flatMap((line) => {
    let raw: unknown;
    try {
      raw = line.trim() ? JSON.parse(line) : undefined;
    } catch {
      return [];
    }
    if (raw === undefined) return [];
    const { value, problems: found } = decode(RUN_FILES.metrics, MetricsRecordSchema, raw);
    for (const p of found) problems.add(p);
    return value ? [value] : [];
  });
  return { epochs, problems: [...problems] };
}

/** confusion_matrix.csv as counts[actual][predicted], or undefined when absent. */
export async function readConfusion(dir: string): Promise<number[][] | undefined> {
  const text = await readFile(join(dir, RUN_FILES.confusion), 'utf8').catch(() => undefined);
  if (!text) return undefined;
  return parseCsv(text.trim())
    .slice(1)
    .map((r) => r.slice(1).map(Number));
}
