import { readFile } from 'node:fs/promises';
import { totalmem } from 'node:os';
import { basename, dirname, extname, isAbsolute, relative, resolve } from 'node:path';
import { Document, isScalar, visit } from 'yaml';
import { ConfigError } from '../errors.js';
import { CHECKS, type ConfigIssue, checkContext } from './checks.js';
import { type DataFacts, MNIST } from './data-facts.js';
import { nearestPosition, positionOf } from './document.js';
import { type ConfigFile, mergedData, readChain, readFailure } from './extends.js';
import { type LocatedProblem, locatedConfigError, splitPosition } from './located.js';
import type { MemoryEstimate } from './memory.js';
import { describeIssues, type Problem } from './messages.js';
import { applyOverride, type Override, OverrideProblem, parseOverride } from './overrides.js';
import { isPrefix, type Path, parsePathText, pathText } from './paths.js';
import { type Config, ConfigSchema } from './schema.js';

export type { ConfigIssue } from './checks.js';

export interface LoadedConfig {
  /** Absolute path of the config file. */
  file: string;
  /** The file as written. */
  text: string;
  /** Defaults filled in, overrides applied, `name` defaulted to the file's name. */
  config: Config;
  /** `config` as YAML: what the run really used. */
  resolvedYaml: string;
  warnings: ConfigIssue[];
  /** `data.path` made absolute against the config file's folder; undefined for the built-in MNIST. */
  dataPath?: string;
  /** What the config was checked against: the data's image size, classes and counts. */
  data: DataFacts;
  /** Parameters and the memory training needs; undefined only if shapes could not be inferred. */
  estimate?: MemoryEstimate;
  /** The memory the estimate was held against (the machine's, by default). */
  memory: number;
}

export interface LoadOptions {
  /** Folder that file names in messages are shown relative to (default: process.cwd()). */
  cwd?: string;
  /**
   * Reads what the folder at `data.path` gives (image size, classes, counts) so the checks hold the
   * config against it; without it, or without data.path, the bundled MNIST's numbers are used.
   */
  probeData?: (dataPath: string) => Promise<DataFacts>;
  /** Bytes training may use (default: os.totalmem()). */
  memory?: number;
}

/** Where each problem is, given what the files and the overrides each contributed. */
interface Sources {
  /** The config and the ones it extends, child first. */
  files: ConfigFile[];
  overrides: Override[];
}

type Place = { problem: LocatedProblem; order: number[] };

/** The file that wrote the value at `path` (the first in the chain that has it), or, failing that, the one with the deepest node along it. */
function fileFor(files: ConfigFile[], path: Path, atKey?: boolean): { file: ConfigFile; pos: string; index: number } {
  for (const [index, file] of files.entries()) {
    const pos = positionOf(file.yaml, path, atKey);
    if (pos) return { file, pos, index };
  }
  const depth = (f: ConfigFile) =>
    [...path.keys(), path.length].filter((n) => positionOf(f.yaml, path.slice(0, n))).length;
  const index = files.reduce((best, f, i) => (depth(f) > depth(files[best]!) ? i : best), 0);
  const file = files[index]!;
  return { file, pos: nearestPosition(file.yaml, path), index };
}

/**
 * An override owns the values at and under its path; the files own the nodes they have; an issue
 * about a node that only an override created (a parent of its path) is the override's too.
 */
function locate(p: Problem, s: Sources): Place {
  const path = pathText(p.path);
  const owner = [...s.overrides].reverse().find((o) => isPrefix(o.path, p.path));
  const exact = owner ? undefined : s.files.find((f) => positionOf(f.yaml, p.path, p.atKey));
  const creator = exact ? undefined : [...s.overrides].reverse().find((o) => isPrefix(p.path, o.path));
  const override = owner ?? creator;
  if (override)
    return {
      problem: { file: null, line: null, column: null, path, message: p.message, override: override.text },
      order: [Infinity, s.overrides.indexOf(override), 0],
    };
  const { file, pos, index } = fileFor(s.files, p.path, p.atKey);
  const { line, column } = splitPosition(pos);
  return { problem: { file: file.shown, line, column, path, message: p.message }, order: [index, line, column] };
}

const byOrder = (a: { order: number[] }, b: { order: number[] }) =>
  a.order[0]! - b.order[0]! || a.order[1]! - b.order[1]! || a.order[2]! - b.order[2]!;

/** One ConfigError listing every problem, one per line, in file order (the config's, then its parents'), then the overrides'. */
function fail(problems: Problem[], s: Sources): never {
  throw locatedConfigError(
    problems
      .map((p) => locate(p, s))
      .sort(byOrder)
      .map((l) => l.problem),
  );
}

async function readConfigFile(file: string, shown: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigError(
      `${shown}: cannot read the config file: ${readFailure(err)}; pass the path of a .yaml file, e.g. configs/ann.yaml`,
    );
  }
}

/** Top-level keys of a sweep file (src/sweep/schema.ts) that no config has. */
const SWEEP_KEYS = ['base', 'grid', 'variants'];

/** A sweep file handed where a config goes: one error that says what to run, not the schema's four. */
function sweepCheck(files: ConfigFile[]): void {
  for (const f of files) {
    const data = f.data as Record<string, unknown> | undefined;
    if (!data || typeof data !== 'object' || !SWEEP_KEYS.some((k) => k in data)) continue;
    const message = `${f.shown} is a sweep file: run it with \`mnist-run sweep ${f.shown}\` (or \`mnist-run sweep ${f.shown} --dry-run\` to see its runs)`;
    throw locatedConfigError([{ file: f.shown, line: 1, column: 1, path: '', message }], message);
  }
}

/** The file's data with every override applied; bad overrides are collected, not thrown one by one. */
function withOverrides(
  data: unknown,
  texts: string[],
  apply: boolean,
): { data: unknown; applied: Override[]; bad: { override: string; message: string }[] } {
  const out = data ?? {}; // an empty file is an empty map
  const applied: Override[] = [];
  const bad: { override: string; message: string }[] = [];
  for (const text of texts) {
    try {
      const o = parseOverride(text);
      if (apply) applyOverride(out, o, ConfigSchema);
      applied.push(o);
    } catch (err) {
      if (!(err instanceof OverrideProblem)) throw err;
      bad.push({ override: err.override, message: err.message });
    }
  }
  return { data: out, applied, bad };
}

/** YAML with short lists of numbers kept on one line: `kernelSize: [3, 3]`. */
export function toYaml(value: unknown): string {
  const doc = new Document(value);
  visit(doc, {
    Seq: (_, node) => {
      if (node.items.every(isScalar)) node.flow = true;
    },
  });
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}

/**
 * Reads, validates and resolves a config file. Every problem (YAML syntax, overrides, schema,
 * cross-field checks) is reported in one ConfigError, each line located at `file:line:col` or at
 * the `--set` that caused it.
 */
export async function loadConfig(
  file: string,
  overrides: string[] = [],
  opts: LoadOptions = {},
): Promise<LoadedConfig> {
  const abs = resolve(file);
  const shownOf = (f: string) => {
    const rel = relative(opts.cwd ?? process.cwd(), f);
    return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : f;
  };
  const files = await readChain(abs, shownOf, readConfigFile);
  const broken = files.flatMap((f) => f.yaml.errors.map((e) => ({ f, e })));
  if (!broken.length) sweepCheck(files);
  const merged = broken.length ? undefined : mergedData(files);
  // With a broken file only the overrides' own syntax can be checked: their paths need its data.
  const { data, applied, bad } = withOverrides(merged, overrides, !broken.length);
  if (broken.length || bad.length)
    throw locatedConfigError(
      [
        ...broken.map(({ f, e }) => ({
          file: f.shown,
          line: e.line,
          column: e.col,
          path: '',
          message: `not valid YAML: ${e.message}`,
        })),
        ...bad.map((b) => ({
          file: null,
          line: null,
          column: null,
          path: '',
          message: b.message,
          override: b.override,
        })),
      ],
      [
        ...broken.map(({ f, e }) => `${f.shown}:${e.line}:${e.col} not valid YAML: ${e.message}`),
        ...bad.map((b) => `--set ${b.override}: ${b.message}`),
      ].join('\n'),
    );

  const sources: Sources = { files, overrides: applied };
  const parsed = ConfigSchema.safeParse(data);
  if (!parsed.success) fail(describeIssues(parsed.error.issues, data, ConfigSchema), sources);
  const config: Config = { name: basename(abs, extname(abs)), ...parsed.data };
  const dataPath = config.data.path ? resolve(dirname(abs), config.data.path) : undefined;
  const facts = dataPath && opts.probeData ? await opts.probeData(dataPath) : MNIST;
  const memory = opts.memory ?? totalmem();
  const ctx = checkContext(config, facts, memory);
  const issues = Object.values(CHECKS).flatMap((check) => check(config, ctx));
  const errors = issues.filter((i) => i.severity === 'error');
  if (errors.length)
    fail(
      errors.map((i) => ({ path: parsePathText(i.path), message: i.message })),
      sources,
    );
  return {
    file: abs,
    text: files[0]!.text,
    config,
    resolvedYaml: toYaml(config),
    warnings: issues.filter((i) => i.severity === 'warning'),
    ...(dataPath && { dataPath }),
    data: facts,
    ...(ctx.estimate && { estimate: ctx.estimate }),
    memory,
  };
}
