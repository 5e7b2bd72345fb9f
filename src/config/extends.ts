/**
 * `extends: other.yaml`: a config read on top of another, as a chain of files, child first. Each
 * file keeps its YAML document so a problem can be pointed at the file its value came from.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { ConfigError } from '../errors.js';
import { nearestPosition, parseYaml, positionOf, type YamlFile } from './document.js';
import { locatedConfigError, splitPosition } from './located.js';
import { showValue } from './paths.js';

export interface ConfigFile {
  abs: string;
  /** The path as messages show it. */
  shown: string;
  text: string;
  yaml: YamlFile;
  /** The file's data without its `extends` key; undefined when the file has syntax errors. */
  data: unknown;
}

const isMap = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** `over` on top of `under`: maps merge key by key, all deep; anything else (a list, a number) replaces. */
export function deepMerge(under: unknown, over: unknown): unknown {
  if (!isMap(under) || !isMap(over)) return over === undefined ? under : over;
  const out: Record<string, unknown> = { ...under };
  for (const [k, v] of Object.entries(over)) out[k] = deepMerge(under[k], v);
  return out;
}

/** The chain's data merged: the root file's on top. */
export const mergedData = (chain: ConfigFile[]): unknown =>
  chain.reduceRight<unknown>((under, f) => deepMerge(under, f.data ?? {}), undefined);

/** Why a file could not be read, in a few words. */
export function readFailure(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e.code === 'ENOENT' ? 'no such file' : e.code === 'EISDIR' ? 'it is a folder' : e.message;
}

async function readParent(child: ConfigFile, abs: string, shown: string): Promise<string> {
  try {
    return await readFile(abs, 'utf8');
  } catch (err) {
    throw atExtends(
      child,
      `cannot read ${shown}: ${readFailure(err)}; the path is relative to the folder of ${child.shown}`,
    );
  }
}

/** An error at the `extends:` of `file`. */
function atExtends(file: ConfigFile, message: string): ConfigError {
  const pos = splitPosition(positionOf(file.yaml, ['extends']) ?? nearestPosition(file.yaml, ['extends']));
  return locatedConfigError([{ file: file.shown, ...pos, path: 'extends', message }]);
}

/** The parent a file names, as an absolute path; undefined when it extends nothing. */
function parentOf(file: ConfigFile, raw: unknown): string | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || raw.trim() === '')
    throw atExtends(
      file,
      `expected the path of a config file (relative to this one) like base.yaml, received ${showValue(raw)}`,
    );
  return resolve(dirname(file.abs), raw);
}

/**
 * Reads `abs` and every config it extends, child first. Stops at a file with YAML syntax errors (its
 * `extends` cannot be read): that file is last, with its errors. A cycle, a parent that cannot be
 * read and an `extends` that is not a path are errors at the `extends:` that named them.
 */
export async function readChain(
  abs: string,
  shownOf: (abs: string) => string,
  readRoot: (abs: string, shown: string) => Promise<string>,
): Promise<ConfigFile[]> {
  const chain: ConfigFile[] = [];
  let next: string | undefined = abs;
  while (next) {
    const at: string = next;
    const shown = shownOf(at);
    const child = chain.at(-1);
    if (child && chain.some((f) => f.abs === at)) {
      const loop = [...chain.map((f) => f.shown), shown].join(' → ');
      throw atExtends(child, `the configs extend each other in a cycle: ${loop}; remove one of these extends`);
    }
    const text = child ? await readParent(child, at, shown) : await readRoot(at, shown);
    const yaml = parseYaml(text);
    const file: ConfigFile = { abs: at, shown, text, yaml, data: undefined };
    chain.push(file);
    if (yaml.errors.length) break;
    const { extends: raw, ...rest } = isMap(yaml.data) ? yaml.data : { extends: undefined };
    file.data = isMap(yaml.data) ? rest : yaml.data;
    next = isMap(yaml.data) ? parentOf(file, raw) : undefined;
  }
  return chain;
}
