import type { z } from 'zod';
import { allowedKeys, expectText, optionsOf, schemaAt } from './introspect.js';
import { type Path, showValue, valueAt } from './paths.js';
import { didYouMean } from './suggest.js';

/**
 * Turns zod issues into messages in one voice: "expected <what the schema wants>, received <what
 * was written>", plus a fix where one is likely (the key or option a typo meant). zod's own
 * messages ("Too small: expected number to be >0") name neither the value nor the fix.
 */

export interface Problem {
  path: Path;
  message: string;
  /** Point at the key rather than its value: the key itself is what is wrong. */
  atKey?: boolean;
}

type Issue = z.core.$ZodIssue;
type Schema = z.ZodType;
interface Ctx {
  input: unknown;
  root: Schema;
}
/** A problem and, for an unknown key, the key it was probably meant to be. */
type Found = Problem & { meant?: string; missing?: boolean };

const received = (value: unknown) =>
  value === undefined ? 'received nothing (it is required)' : `received ${showValue(value)}`;

function hint(value: unknown, options: string[]): string {
  const meant = typeof value === 'string' ? didYouMean(value, options) : undefined;
  return meant ? `; did you mean ${meant}?` : '';
}

function expected(path: Path, issue: Issue, ctx: Ctx): Found {
  const schema = schemaAt(ctx.root, path, ctx.input);
  const value = valueAt(ctx.input, path);
  if (!schema) return { path, message: `${issue.message}, ${received(value)}` };
  const message = `expected ${expectText(schema)}, ${received(value)}${hint(value, optionsOf(schema))}`;
  return { path, message, missing: value === undefined };
}

function unknownKey(path: Path, key: string, ctx: Ctx): Found {
  const allowed = allowedKeys(schemaAt(ctx.root, path, ctx.input));
  const meant = didYouMean(key, allowed);
  const message = meant ? `unknown key; did you mean ${meant}?` : `unknown key; expected one of: ${allowed.join(', ')}`;
  return { path: [...path, key], message, atKey: true, ...(meant ? { meant } : {}) };
}

function badTag(path: Path, options: readonly unknown[], ctx: Ctx): Found {
  const value = valueAt(ctx.input, path);
  const names = options.map(String);
  return { path, message: `expected one of: ${names.join(', ')}, ${received(value)}${hint(value, names)}` };
}

/**
 * A union failed as a whole. When the value had the right shape for exactly one option (a map
 * for `{split: …}`), that option's own issues are the useful ones; otherwise say what the union takes.
 */
function union(path: Path, issue: Extract<Issue, { code: 'invalid_union' }>, ctx: Ctx): Found[] {
  if (issue.discriminator !== undefined) return [badTag(path, (issue as { options?: unknown[] }).options ?? [], ctx)];
  const shapedRight = issue.errors.filter((errs) => errs.length > 0 && errs.every((e) => e.path.length > 0));
  if (shapedRight.length === 1) return shapedRight[0]!.flatMap((e) => found(e, path, ctx));
  return [expected(path, issue, ctx)];
}

/** A refinement's or pattern's own message, with what was received where it does not say. */
function ownWords(path: Path, issue: Issue, ctx: Ctx): Found {
  const value = valueAt(ctx.input, path);
  const tail =
    issue.message.startsWith('expected') && !issue.message.includes('received') ? `, ${received(value)}` : '';
  return { path, message: issue.message + tail };
}

function found(issue: Issue, prefix: Path, ctx: Ctx): Found[] {
  const path = [...prefix, ...issue.path.filter((k): k is string | number => typeof k !== 'symbol')];
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((k) => unknownKey(path, k, ctx));
    case 'invalid_union':
      return union(path, issue, ctx);
    case 'invalid_format':
      // A pattern with its own message (`.regex(re, 'expected …')`) says it best; zod's default does not.
      return issue.message.startsWith('Invalid') ? [expected(path, issue, ctx)] : [ownWords(path, issue, ctx)];
    case 'custom':
      return [ownWords(path, issue, ctx)];
    default:
      return [expected(path, issue, ctx)];
  }
}

const same = (a: Path, b: Path) => a.length === b.length && a.every((k, i) => k === b[i]);

/** Messages for every issue. A missing key that a sibling typo was meant to be is left out: `unit:` explains the missing `units`. */
export function describeIssues(issues: readonly Issue[], input: unknown, root: Schema): Problem[] {
  const all = issues.flatMap((i) => found(i, [], { input, root }));
  const meant = all.filter((p) => p.meant).map((p) => [...p.path.slice(0, -1), p.meant!]);
  return all
    .filter((p) => !(p.missing && meant.some((m) => same(m, p.path))))
    .map(({ path, message, atKey }) => ({ path, message, ...(atKey ? { atKey } : {}) }));
}
