import type { z } from 'zod';
import { parseYaml } from './document.js';
import { defaultAt } from './introspect.js';
import { type Path, pathText, showValue } from './paths.js';

/**
 * `--set path=value` overrides. They apply to the config as written (before defaults), so that
 * `--set optimizer.type=sgd` turns `{type: adam, learningRate: 0.01}` into a valid sgd rather than
 * an sgd carrying adam's filled-in beta1. A `null` value removes the key (or list item), so its
 * default applies again.
 */

export interface Override {
  /** As typed, for messages: `model.layers.1.units=256`. */
  text: string;
  path: Path;
  value: unknown;
}

/** An override that cannot be applied at all, with why. */
export class OverrideProblem extends Error {
  constructor(
    readonly override: string,
    message: string,
  ) {
    super(message);
  }
}

const PATH = /^[A-Za-z_]\w*(\.\w+)*$/;

export function parseOverride(text: string): Override {
  const eq = text.indexOf('=');
  const pathPart = eq < 0 ? text : text.slice(0, eq);
  if (eq < 0 || !PATH.test(pathPart)) {
    throw new OverrideProblem(
      text,
      'expected path=value with a dotted path, e.g. train.epochs=3 or model.layers.1.units=256',
    );
  }
  const path = pathPart.split('.').map((k) => (/^\d+$/.test(k) ? Number(k) : k));
  const value = parseYaml(text.slice(eq + 1));
  const why = value.errors[0]?.message;
  if (why !== undefined)
    throw new OverrideProblem(text, `the value is not valid YAML (${why}); quote it or fix the brackets`);
  return { text, path, value: value.data };
}

type Container = Record<string, unknown> | unknown[];
const isMapValue = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

const countText = (n: number) => (n === 0 ? 'no entries' : n === 1 ? '1 entry (0)' : `${n} entries (0-${n - 1})`);

/** Why `key` cannot be looked up in `node` (found at `at`), or undefined when it can. */
function stepError(node: unknown, at: Path, key: string | number): string | undefined {
  const where = pathText(at) || 'the config';
  if (typeof key === 'number') {
    if (!Array.isArray(node))
      return `${where} is ${isMapValue(node) ? 'a map' : showValue(node)}, not a list; ${key} is not one of its keys`;
    if (key >= node.length) return `${where} has ${countText(node.length)}`;
    return undefined;
  }
  if (Array.isArray(node)) return `${where} is a list; pick an entry by its index, e.g. ${pathText(at)}.0.${key}`;
  if (!isMapValue(node)) return `${where} is ${showValue(node)}, not a map, so it has no key ${key}`;
  return undefined;
}

/** The child at `key`, created from the schema's default (or empty) when the file leaves it out. */
function child(
  node: Container,
  at: Path,
  key: string | number,
  nextKey: string | number,
  root: z.ZodType,
  data: unknown,
): unknown {
  const existing = (node as Record<string | number, unknown>)[key];
  if (existing !== undefined || typeof key === 'number') return existing;
  const created = defaultAt(root, [...at, key], data) ?? (typeof nextKey === 'number' ? [] : {});
  (node as Record<string, unknown>)[key] = created;
  return created;
}

function setAt(node: Container, key: string | number, value: unknown) {
  if (value === null && Array.isArray(node)) node.splice(key as number, 1);
  else if (value === null) delete (node as Record<string | number, unknown>)[key];
  else (node as Record<string | number, unknown>)[key] = value;
}

/** Applies one override to `data` in place; throws OverrideProblem when its path does not fit the data. */
export function applyOverride(data: unknown, o: Override, root: z.ZodType): void {
  let node: unknown = data;
  for (let i = 0; i < o.path.length; i++) {
    const key = o.path[i]!;
    const error = stepError(node, o.path.slice(0, i), key);
    if (error) throw new OverrideProblem(o.text, error);
    if (i === o.path.length - 1) {
      setAt(node as Container, key, o.value);
      return;
    }
    node = child(node as Container, o.path.slice(0, i), key, o.path[i + 1]!, root, data);
  }
}
