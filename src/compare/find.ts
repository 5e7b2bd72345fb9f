import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { SWEEP_FILES } from '../output-files.js';
import { issueLines } from '../run/format.js';
import { isRunDir, RUN_MARKERS } from '../run/list.js';
import { PlanRunsSchema } from '../sweep/format.js';

/** A run folder to compare, with the label a sweep gave it. */
export interface RunRef {
  dir: string;
  label?: string;
}

const exists = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  );

export { isRunDir } from '../run/list.js';

const PLAN_FIX = (dir: string, cwd: string) =>
  `rerun the sweep to rewrite it, or compare its run folders directly: ${relative(cwd, join(dir, SWEEP_FILES.runs)) || '.'}`;

/** A sweep folder's runs in plan order, labelled as the sweep labels them; runs not started yet are left out. */
async function sweepRuns(dir: string, cwd: string): Promise<RunRef[]> {
  const file = join(dir, SWEEP_FILES.plan);
  const shown = relative(cwd, file) || file;
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new UsageError(`${shown}: not readable JSON (${(err as Error).message}); ${PLAN_FIX(dir, cwd)}`);
  }
  const plan = PlanRunsSchema.safeParse(json);
  if (!plan.success) throw new UsageError(`${issueLines(shown, plan.error, json).join('; ')}; ${PLAN_FIX(dir, cwd)}`);
  const refs = plan.data.runs.map((r) => ({ dir: join(dir, r.dir), label: r.label }));
  const present = await Promise.all(refs.map((r) => isRunDir(r.dir)));
  return refs.filter((_, i) => present[i]);
}

/** Every run folder directly inside `dir` (a runs/ root, by name, which sorts by start time), and the runs of every sweep folder in it (a sweeps/ root). */
async function childRuns(dir: string, cwd: string): Promise<RunRef[]> {
  const names = (await readdir(dir, { withFileTypes: true }))
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  const found = await Promise.all(
    names.map(async (n): Promise<RunRef[]> => {
      const child = join(dir, n);
      if (await exists(join(child, SWEEP_FILES.plan)))
        return (await sweepRuns(child, cwd)).map((r) => ({ ...r, label: `${n}: ${r.label}` }));
      return (await isRunDir(child)) ? [{ dir: child }] : [];
    }),
  );
  return found.flat();
}

/** Turns command-line paths (run folders, sweep folders, roots of run folders) into run folders. */
export async function findRuns(paths: string[], cwd: string): Promise<RunRef[]> {
  const out: RunRef[] = [];
  for (const p of paths) {
    const dir = resolve(cwd, p);
    const shown = relative(cwd, dir) || dir;
    if (!(await exists(dir)))
      throw new UsageError(
        `${shown}: no such run or sweep folder; pass run folders (runs/…), a sweep folder (sweeps/NAME) or a folder of runs`,
      );
    if (await exists(join(dir, SWEEP_FILES.plan))) out.push(...(await sweepRuns(dir, cwd)));
    else if (await isRunDir(dir)) out.push({ dir });
    else {
      const found = await childRuns(dir, cwd);
      if (!found.length)
        throw new UsageError(`${shown}: no run folders in it (a run folder holds ${RUN_MARKERS.join(', ')})`);
      out.push(...found);
    }
  }
  return out;
}
