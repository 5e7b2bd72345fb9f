import { ConfigError } from '../errors.js';

/** One problem, where it is: a file's line and column, or the `--set` that caused it. */
export interface LocatedProblem {
  /** The file as shown to the user; null for a bad `--set`. */
  file: string | null;
  line: number | null;
  column: number | null;
  /** `model.layers[1].units`; empty for the top level or a syntax error. */
  path: string;
  message: string;
  /** The `--set path=value` the problem belongs to, when it is an override's. */
  override?: string;
}

/** The problems a located ConfigError carries as data, beside its text. */
const located = new WeakMap<ConfigError, LocatedProblem[]>();

/**
 * A plain ConfigError (so it compares and prints as every other) whose problems are also kept as
 * data, for `validate --json`; its message is the text form, one problem a line.
 */
export function locatedConfigError(
  problems: LocatedProblem[],
  message: string = problems.map(problemLine).join('\n'),
): ConfigError {
  const err = new ConfigError(message);
  located.set(err, problems);
  return err;
}

/** The problems of an error made by locatedConfigError; undefined for any other. */
export const problemsOf = (err: unknown): LocatedProblem[] | undefined =>
  err instanceof ConfigError ? located.get(err) : undefined;

/** `file:line:col path: message`, or `--set x=y path: message`. */
export function problemLine(p: LocatedProblem): string {
  const at = p.override !== undefined ? `--set ${p.override}` : `${p.file}:${p.line ?? 1}:${p.column ?? 1}`;
  return `${at} ${p.path || '(top level)'}: ${p.message}`;
}

/** `"12:3"` as numbers. */
export function splitPosition(pos: string): { line: number; column: number } {
  const [line, column] = pos.split(':').map(Number);
  return { line: line ?? 1, column: column ?? 1 };
}

/** `validate --json`'s answer for a config that failed: every problem as data. */
export function failureJson(file: string, err: Error) {
  const errors = problemsOf(err) ?? [{ file, line: null, column: null, path: '', message: err.message }];
  return { ok: false, file, errors, warnings: [] };
}
