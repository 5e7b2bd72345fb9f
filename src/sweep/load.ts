import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { nearestPosition, parseYaml, positionOf } from '../config/document.js';
import { locatedConfigError, problemLine, splitPosition } from '../config/located.js';
import { describeIssues } from '../config/messages.js';
import { pathText } from '../config/paths.js';
import { ConfigError } from '../errors.js';
import { gridSize } from './expand.js';
import { MAX_RUNS, SweepSchema, type SweepSpec } from './schema.js';

interface Problem {
  path: (string | number)[];
  message: string;
  /** Point at the key itself (an unknown key), not its value. */
  atKey?: boolean;
}

/** Checks zod cannot express: sampling needs a grid big enough to sample from. */
function crossProblems(spec: SweepSpec): Problem[] {
  const size = spec.grid ? gridSize(spec.grid) : 0;
  const seeds = typeof spec.seeds === 'number' ? spec.seeds : (spec.seeds?.length ?? 1);
  const runs = (spec.random ? spec.random.count : size) * seeds;
  if (runs > MAX_RUNS) {
    return [
      {
        path: [spec.random ? 'random' : 'grid'],
        message: `expected at most ${MAX_RUNS} runs, received ${runs.toLocaleString('en-US')} (${spec.random ? 'count' : 'grid points'} × ${seeds} seeds); sample the grid with random: {count: N}, or use fewer values or seeds`,
      },
    ];
  }
  if (!spec.random) return [];
  if (size === 0)
    return [
      { path: ['random'], message: 'random sampling needs a grid to sample from; add `grid:` or remove `random:`' },
    ];
  if (spec.random.count > size) {
    return [
      {
        path: ['random', 'count'],
        message: `expected at most ${size} (the grid's size), received ${spec.random.count}; lower it or drop \`random:\` to run the whole grid`,
      },
    ];
  }
  return [];
}

/** Reads and validates a sweep file; every problem at once, each with file:line:col and its path. */
export async function loadSweep(file: string, cwd: string): Promise<SweepSpec> {
  const shown = relative(cwd, file) || file;
  const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new ConfigError(`cannot read sweep file ${shown}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`);
  });
  const yaml = parseYaml(text, { merge: true });
  const { errors, data } = yaml; // `<<: *anchor` lets variants share overrides
  if (errors.length) {
    const e = errors[0]!;
    const message = `not valid YAML: ${e.message}`;
    throw locatedConfigError(
      [{ file: shown, line: e.line, column: e.col, path: '', message }],
      `${shown}:${e.line}:${e.col}: ${message}`,
    );
  }
  const parsed = SweepSchema.safeParse(data ?? {});
  // In the config's voice: expected, received, and the key a typo meant.
  const problems = parsed.success
    ? crossProblems(parsed.data)
    : describeIssues(parsed.error.issues, data ?? {}, SweepSchema);
  if (problems.length === 0 && parsed.success) return parsed.data;
  const located = problems.map((p) => ({
    file: shown,
    ...splitPosition(positionOf(yaml, p.path, p.atKey) ?? nearestPosition(yaml, p.path)),
    path: pathText(p.path),
    message: p.message,
  }));
  located.sort((a, b) => a.line - b.line || a.column - b.column); // file order, as an editor lists them
  const head = problems.length === 1 ? `${shown} has an error:` : `${shown} has ${problems.length} errors:`;
  throw locatedConfigError(located, [head, ...located.map(problemLine)].join('\n'));
}
