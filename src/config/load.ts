import { readFile } from 'node:fs/promises';
import { totalmem } from 'node:os';
import { basename, dirname, extname, isAbsolute, relative, resolve } from 'node:path';
import { Document, isScalar, visit } from 'yaml';
import { ConfigError } from '../errors.js';
import { CHECKS, type ConfigIssue, checkContext } from './checks.js';
import { type DataFacts, MNIST } from './data-facts.js';
import { nearestPosition, parseYaml, positionOf, type YamlFile } from './document.js';
import type { MemoryEstimate } from './memory.js';
import { describeIssues, type Problem } from './messages.js';
import { applyOverride, type Override, OverrideProblem, parseOverride } from './overrides.js';
import { isPrefix, parsePathText, pathText } from './paths.js';
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

/** Where each problem is, given what the file and the overrides each contributed. */
interface Sources {
  shown: string;
  yaml: YamlFile;
  overrides: Override[];
}

/**
 * An override owns the values at and under its path; the file owns the nodes it has; an issue
 * about a node that only an override created (a parent of its path) is the override's too.
 */
function locate(p: Problem, s: Sources): { at: string; order: number[] } {
  const owner = [...s.overrides].reverse().find((o) => isPrefix(o.path, p.path));
  const exact = owner ? undefined : positionOf(s.yaml, p.path, p.atKey);
  const creator = exact ? undefined : [...s.overrides].reverse().find((o) => isPrefix(p.path, o.path));
  const override = owner ?? creator;
  if (override) return { at: `--set ${override.text}`, order: [Infinity, s.overrides.indexOf(override)] };
  const pos = exact ?? nearestPosition(s.yaml, p.path);
  return { at: `${s.shown}:${pos}`, order: pos.split(':').map(Number) };
}

const byOrder = (a: { order: number[] }, b: { order: number[] }) =>
  a.order[0]! - b.order[0]! || a.order[1]! - b.order[1]!;

/** One ConfigError listing every problem, one per line, in file order, then the overrides'. */
function fail(problems: Problem[], s: Sources): never {
  const lines = problems
    .map((p) => ({ ...locate(p, s), text: `${pathText(p.path) || '(top level)'}: ${p.message}` }))
    .sort(byOrder)
    .map((l) => `${l.at} ${l.text}`);
  throw new ConfigError(lines.join('\n'));
}

async function readConfigFile(file: string, shown: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ENOENT' ? 'no such file' : e.code === 'EISDIR' ? 'it is a folder' : e.message;
    throw new ConfigError(
      `${shown}: cannot read the config file: ${why}; pass the path of a .yaml file, e.g. configs/ann.yaml`,
    );
  }
}

/** The file's data with every override applied; bad overrides are collected, not thrown one by one. */
function withOverrides(
  data: unknown,
  texts: string[],
  apply: boolean,
): { data: unknown; applied: Override[]; bad: string[] } {
  const out = data ?? {}; // an empty file is an empty map
  const applied: Override[] = [];
  const bad: string[] = [];
  for (const text of texts) {
    try {
      const o = parseOverride(text);
      if (apply) applyOverride(out, o, ConfigSchema);
      applied.push(o);
    } catch (err) {
      if (!(err instanceof OverrideProblem)) throw err;
      bad.push(`--set ${err.override}: ${err.message}`);
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
  const rel = relative(opts.cwd ?? process.cwd(), abs);
  const shown = rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : abs;
  const text = await readConfigFile(abs, shown);
  const yaml = parseYaml(text);
  // With a broken file only the overrides' own syntax can be checked: their paths need its data.
  const { data, applied, bad } = yaml.errors.length
    ? withOverrides(undefined, overrides, false)
    : withOverrides(yaml.data, overrides, true);
  const syntax = yaml.errors.map((e) => `${shown}:${e.line}:${e.col} not valid YAML: ${e.message}`);
  if (syntax.length || bad.length) throw new ConfigError([...syntax, ...bad].join('\n'));

  const sources: Sources = { shown, yaml, overrides: applied };
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
    text,
    config,
    resolvedYaml: toYaml(config),
    warnings: issues.filter((i) => i.severity === 'warning'),
    ...(dataPath && { dataPath }),
    data: facts,
    ...(ctx.estimate && { estimate: ctx.estimate }),
    memory,
  };
}
