/**
 * Run folders as `ls` and `rm` see them: found under a root (runs/, a sweep folder, sweeps/), read
 * with readRun, and removed only whole, only when no live process uses them.
 */
import { readdir, rm, stat } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { RUN_FILES, SWEEP_FILES } from '../output-files.js';
import { lockFolder } from './folder.js';
import { localProbe, type Probe } from './liveness.js';
import { type RunRecord, readRun } from './read.js';

const exists = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  );

/** Any of these makes a folder a run folder to read (a half-copied or early-failed run has some). */
export const RUN_MARKERS = [RUN_FILES.meta, RUN_FILES.summary, RUN_FILES.resolvedConfig];

export async function isRunDir(dir: string): Promise<boolean> {
  for (const f of RUN_MARKERS) if (await exists(join(dir, f))) return true;
  return false;
}

async function subfolders(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isDirectory())
    .map((e) => join(dir, e.name))
    .sort();
}

/** The run folders of `root`: itself if it is one; a sweep folder's runs; the runs (and sweeps' runs) directly in it. */
async function runDirs(root: string): Promise<string[]> {
  if (await isRunDir(root)) return [root];
  if (await exists(join(root, SWEEP_FILES.plan))) return runDirs(join(root, SWEEP_FILES.runs));
  const found: string[] = [];
  for (const child of await subfolders(root)) {
    if (await isRunDir(child)) found.push(child);
    else if (await exists(join(child, SWEEP_FILES.plan))) found.push(...(await runDirs(child)));
  }
  return found;
}

/** One line of `ls`. */
export interface RunListing {
  dir: string;
  name: string;
  /** When it started, ISO UTC; undefined for a run without a readable meta.json. */
  start?: string;
  status: RunRecord['status'];
  testAccuracy?: number;
  backend?: string;
  tags: string[];
  problems: string[];
}

/** The config's `tags`, from readRun's flattened config (`tags.0`, `tags.1`…). */
const tagsOf = (config: Record<string, unknown>): string[] =>
  Object.entries(config)
    .filter(([k]) => /^tags\.\d+$/.test(k))
    .map(([, v]) => String(v));

/** Every run under `root`, oldest first (by start time; runs without one last, by name). */
export async function listRuns(root: string, cwd: string, probe: Probe = localProbe()): Promise<RunListing[]> {
  const dir = resolve(cwd, root);
  if (!(await exists(dir)))
    throw new UsageError(
      `${root}: no such folder; pass a folder of runs (default: runs), a sweep folder (sweeps/NAME) or a run folder`,
    );
  const records = await Promise.all((await runDirs(dir)).map((d) => readRun(d, probe)));
  const lines = records.map(
    (r): RunListing => ({
      dir: relative(cwd, r.dir) || '.',
      name: r.meta?.name ?? r.name,
      ...(r.meta?.start && { start: r.meta.start }),
      status: r.status,
      ...(r.summary?.testAccuracy !== undefined && { testAccuracy: r.summary.testAccuracy }),
      ...((r.meta?.backend?.name ?? r.summary?.backend) && { backend: r.meta?.backend?.name ?? r.summary?.backend }),
      tags: tagsOf(r.config),
      problems: r.problems,
    }),
  );
  const key = (l: RunListing) => l.start ?? '\uffff';
  return lines.sort((a, b) => key(a).localeCompare(key(b)) || a.dir.localeCompare(b.dir));
}

/** A folder `rm` may delete: what training writes first, so a stray folder of the user's is never one. */
async function isRemovable(dir: string): Promise<boolean> {
  return (await exists(join(dir, RUN_FILES.meta))) || (await exists(join(dir, RUN_FILES.config)));
}

/**
 * Checks every folder first: each must be a run folder, not running, not locked by a live process.
 * Returns the delete, which holds every run's lock until it is done (no resume can start under it);
 * refuses, deleting nothing, if any one fails.
 */
export async function prepareRemoval(paths: string[], cwd: string, probe: Probe = localProbe()) {
  const dirs = [...new Set(paths.map((p) => resolve(cwd, p)))];
  const shown = (d: string) => relative(cwd, d) || d;
  const refusals: string[] = [];
  for (const dir of dirs) {
    if (!(await exists(dir))) refusals.push(`${shown(dir)}: no such folder`);
    else if (!(await isRemovable(dir)))
      refusals.push(`${shown(dir)}: not a run folder (it has no ${RUN_FILES.meta} or ${RUN_FILES.config})`);
    else if ((await readRun(dir, probe)).status === 'running')
      refusals.push(`${shown(dir)}: the run is still training; stop it first`);
  }
  const releases: (() => void)[] = [];
  if (!refusals.length)
    for (const dir of dirs) {
      try {
        releases.push(await lockFolder(join(dir, RUN_FILES.lock), `run folder ${shown(dir)}`));
      } catch (err) {
        if (!(err instanceof UsageError)) throw err;
        refusals.push(err.message);
      }
    }
  const releaseAll = () => {
    for (const release of releases) release();
  };
  if (refusals.length) {
    releaseAll();
    throw new UsageError(`nothing deleted:\n${refusals.map((r) => `  ${r}`).join('\n')}`);
  }
  return {
    dirs: dirs.map(shown),
    remove: async () => {
      try {
        for (const dir of dirs) await rm(dir, { recursive: true, force: true });
      } finally {
        releaseAll();
      }
    },
    cancel: releaseAll,
  };
}
