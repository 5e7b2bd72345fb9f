import { randomBytes } from 'node:crypto';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { acquireLock, LockHeldError } from '../util/lock.js';

/** `2026-11-28T14-03-22Z`: UTC, sortable, and legal in file names everywhere. */
export function timestampForPath(date: Date): string {
  return date
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/:/g, '-');
}

const slug = (name: string) => name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'run';

/**
 * Creates `<root>/<UTC timestamp>_<name>_<6 hex>/`. The random suffix plus a non-recursive mkdir
 * (which fails if the folder exists) means two runs started in the same second never share a folder.
 */
export async function createRunDir(root: string, name: string, now: Date): Promise<string> {
  await mkdir(root, { recursive: true });
  for (;;) {
    const dir = join(root, `${timestampForPath(now)}_${slug(name)}_${randomBytes(3).toString('hex')}`);
    try {
      await mkdir(dir);
      return dir;
    } catch (err) {
      if ((err as { code?: string }).code !== 'EEXIST') throw err;
    }
  }
}

/** Takes a folder chosen by the caller (a sweep): it may exist only if empty, so no run is overwritten. */
export async function claimRunDir(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  if ((await readdir(dir)).length > 0) throw new UsageError(`--run-dir ${dir} is not empty; choose a new folder`);
  return dir;
}

/**
 * One process at a time in a folder (a sweep's, a resumed run's): src/util/lock.ts, whose refusal
 * (it is held by a live process) becomes a UsageError naming the holder. Returns the release.
 */
export function lockFolder(file: string, what: string): Promise<() => void> {
  return acquireLock(file, what).catch((err: unknown) => {
    throw err instanceof LockHeldError ? new UsageError(err.message) : err;
  });
}
