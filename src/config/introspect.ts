import type { z } from 'zod';
import { type Path, valueAt } from './paths.js';

/**
 * Reads the config schema itself, so that error messages say what the schema wants in the user's
 * words ("a positive integer") rather than zod's ("expected number to be >0"). Uses zod 4's
 * `_zod.def`, the structure zod documents for library authors.
 */

type Schema = z.ZodType;
interface Def {
  type: string;
  innerType?: Schema;
  in?: Schema;
  shape?: Record<string, Schema>;
  element?: Schema;
  items?: Schema[];
  options?: Schema[];
  discriminator?: string;
  entries?: Record<string, string | number>;
  values?: unknown[];
  checks?: { _zod: { def: { check: string; value?: number; inclusive?: boolean; minimum?: number } } }[];
  format?: string;
}

const def = (s: Schema): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

const WRAPPERS = new Set(['default', 'prefault', 'optional', 'nullable', 'readonly', 'catch', 'nonoptional']);

/** The schema under `default`/`optional`/… wrappers. */
export function unwrap(s: Schema): Schema {
  for (;;) {
    const d = def(s);
    if (WRAPPERS.has(d.type) && d.innerType) s = d.innerType;
    else if (d.type === 'pipe' && d.in) s = d.in;
    else return s;
  }
}

/** The value a wrapper fills in when the key is absent, as written (before its own defaults). */
export function defaultOf(s: Schema): unknown {
  for (;;) {
    const d = def(s) as Def & { defaultValue?: unknown };
    if (d.type === 'default' || d.type === 'prefault') return structuredClone(d.defaultValue);
    if (!WRAPPERS.has(d.type) || !d.innerType) return undefined;
    s = d.innerType;
  }
}

/** The value the discriminator key of each option accepts. */
function discriminatorValues(s: Schema): string[] {
  const d = def(s);
  return (d.options ?? []).flatMap((o) => {
    const key = def(unwrap(o)).shape?.[d.discriminator!];
    return key ? ((def(key).values ?? []) as string[]) : [];
  });
}

/**
 * For a union, the option that `value` (the input at this node) is meant for: by its tag for a
 * discriminated union; when stepping into `next`, the option that has such a key or index.
 */
function pickOption(s: Schema, value: unknown, next: string | number | undefined): Schema {
  const d = def(s);
  if (d.type !== 'union' || !d.options) return s;
  if (d.discriminator) {
    const tag = valueAt(value, [d.discriminator]);
    return d.options.find((o) => def(def(unwrap(o)).shape?.[d.discriminator!] ?? o).values?.includes(tag)) ?? s;
  }
  if (next === undefined) return s;
  const kind = typeof next === 'number' ? ['array', 'tuple'] : ['object'];
  const option =
    d.options.find((o) => kind.includes(def(unwrap(o)).type)) ?? d.options.find((o) => def(unwrap(o)).type === 'union');
  return option ? pickOption(unwrap(option), value, next) : s;
}

/** The schema that governs the value at `path` of `input`, or undefined where the schema has no such place. */
export function schemaAt(root: Schema, path: Path, input: unknown): Schema | undefined {
  let s: Schema | undefined = unwrap(root);
  for (let i = 0; i < path.length && s; i++) {
    const key = path[i]!;
    const d = def(unwrap(pickOption(s, valueAt(input, path.slice(0, i)), key)));
    if (d.type === 'object' && typeof key === 'string') s = d.shape?.[key];
    else if (d.type === 'array' && typeof key === 'number') s = d.element;
    else if (d.type === 'tuple' && typeof key === 'number') s = d.items?.[key];
    else s = undefined;
    s = s && unwrap(s);
  }
  const value = valueAt(input, path);
  // A map or list value already says which option of a plain union it was written for.
  const shape = Array.isArray(value) ? 0 : value !== null && typeof value === 'object' ? '' : undefined;
  return s && pickOption(s, value, shape);
}

/** The default the schema fills in for the map key at `path` when the input leaves it out. */
export function defaultAt(root: Schema, path: Path, input: unknown): unknown {
  const key = path[path.length - 1];
  const parent = schemaAt(root, path.slice(0, -1), input);
  if (!parent || typeof key !== 'string') return undefined;
  const field = def(unwrap(parent)).shape?.[key];
  return field ? defaultOf(field) : undefined;
}

/** The keys an object schema at this place allows ([] when it is not an object). */
export function allowedKeys(s: Schema | undefined): string[] {
  return s ? Object.keys(def(unwrap(s)).shape ?? {}) : [];
}

function numberText(d: Def, plural: boolean): string {
  let lo: { value: number; inclusive: boolean } | undefined;
  let hi: { value: number; inclusive: boolean } | undefined;
  let int = d.format === 'safeint';
  for (const c of d.checks ?? []) {
    const cd = c._zod.def;
    if (cd.check === 'number_format') int = true;
    if (cd.check === 'greater_than') lo = { value: cd.value!, inclusive: !!cd.inclusive };
    if (cd.check === 'less_than') hi = { value: cd.value!, inclusive: !!cd.inclusive };
  }
  const noun = (int ? 'integer' : 'number') + (plural ? 's' : '');
  const article = plural ? '' : int ? 'an ' : 'a ';
  const positive = lo?.value === 0 && !lo.inclusive;
  if (positive && !hi) return `${plural ? '' : 'a '}positive ${noun}`;
  if (positive && hi?.inclusive) return `${plural ? '' : 'a '}positive ${noun} up to ${hi.value}`;
  if (lo && hi)
    return `${article}${noun} in ${lo.inclusive ? '[' : '('}${lo.value}, ${hi.value}${hi.inclusive ? ']' : ')'}`;
  if (lo) return `${article}${noun} ${lo.inclusive ? '>=' : '>'} ${lo.value}`;
  if (hi) return `${article}${noun} ${hi.inclusive ? '<=' : '<'} ${hi.value}`;
  return `${article}${noun}`;
}

function listText(d: Def): string {
  const min = d.checks?.find((c) => c._zod.def.check === 'min_length')?._zod.def.minimum ?? 0;
  const el = def(unwrap(d.element!));
  const simple = ['number', 'string', 'enum', 'boolean'].includes(el.type);
  const of = simple ? ` of ${expectText(d.element!, true)}` : '';
  return `${min > 0 ? 'a non-empty list' : 'a list'}${of}`;
}

function objectText(d: Def): string {
  const keys = Object.entries(d.shape ?? {});
  if (keys.length > 2) return `a map with keys ${keys.map(([k]) => k).join(', ')}`;
  return `{${keys.map(([k, v]) => `${k}: ${expectText(v)}`).join(', ')}}`;
}

/** What the schema wants, in words: "a positive integer", "one of: valid, same", "a list of 2 positive integers". */
export function expectText(schema: Schema, plural = false): string {
  const d = def(unwrap(schema));
  switch (d.type) {
    case 'number':
      return numberText(d, plural);
    case 'string':
      return plural ? 'strings' : 'a string';
    case 'boolean':
      return 'true or false';
    case 'enum':
      return `one of: ${Object.values(d.entries ?? {}).join(', ')}`;
    case 'literal':
      return (d.values ?? []).map(String).join(', ');
    case 'array':
      return listText(d);
    case 'tuple': {
      const items = d.items ?? [];
      const same = items.every((t) => expectText(t) === expectText(items[0]!));
      return same && items[0]
        ? `a list of ${items.length} ${expectText(items[0], true)}`
        : `[${items.map((t) => expectText(t)).join(', ')}]`;
    }
    case 'object':
      return objectText(d);
    case 'union':
      if (d.discriminator)
        return `a map with ${d.discriminator}: one of: ${discriminatorValues(unwrap(schema)).join(', ')}`;
      // Inside a union (an initializer's name or map) the tag list would repeat the names.
      return (d.options ?? [])
        .map((o) =>
          def(unwrap(o)).discriminator ? `a map with a ${def(unwrap(o)).discriminator}` : expectText(o, plural),
        )
        .join(' or ');
    default:
      return d.type;
  }
}

/** The options of an enum or literal schema, for "did you mean" (empty for other kinds). */
export function optionsOf(s: Schema | undefined): string[] {
  if (!s) return [];
  const d = def(unwrap(s));
  if (d.type === 'enum') return Object.values(d.entries ?? {}).map(String);
  if (d.type === 'literal') return (d.values ?? []).map(String);
  if (d.type === 'union') return (d.options ?? []).flatMap((o) => optionsOf(o));
  return [];
}

export { discriminatorValues };
