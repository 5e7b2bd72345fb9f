import { mkdir, readFile, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { RUN_FILES, SWEEP_FILES } from '../output-files.js';
import { lockFolder, timestampForPath } from '../run/folder.js';
import { MetaSchema } from '../run/format.js';
import { writeMeta } from '../run/meta.js';
import { readRun } from '../run/read.js';

/**
 * One sweep process per folder: two would train the same runs into the same folders. A lock left by
 * a process that died (kill -9, power cut) is taken over. Returns the release (synchronous).
 */
export function lockSweep(dir: string): Promise<() => void> {
  return lockFolder(join(dir, SWEEP_FILES.lock), `sweep folder ${dir}`);
}

/**
 * A run left `running` by a process that is gone says so in its own meta.json from now on, so every
 * reader of the moved-aside attempt (compare, report, a person) sees `crashed`, not a live run.
 * A run still trained by a live process (left by a sweep killed a moment ago) is not moved from
 * under it.
 */
async function markCrashed(runDir: string, now: Date): Promise<void> {
  const rec = await readRun(runDir);
  if (rec.meta?.status !== 'running') return;
  if (rec.status === 'running')
    throw new UsageError(
      `${runDir} is still being trained by process ${rec.meta.pid ?? '?'}; wait for it to stop (or stop it), then run the sweep again`,
    );
  if (rec.status !== 'crashed') return;
  const file = join(runDir, RUN_FILES.meta);
  const meta = MetaSchema.safeParse(JSON.parse(await readFile(file, 'utf8')));
  if (!meta.success) return; // an older format: readers still judge it by its pid
  await writeMeta(runDir, {
    ...meta.data,
    status: 'crashed',
    end: meta.data.heartbeat ?? now.toISOString(),
    error: `its process ${meta.data.pid} on ${meta.data.host} ended without a word (killed, or the machine stopped); found by the sweep at ${now.toISOString()}`,
  });
}

/** Moves an unfinished run folder to previous/ so the retry starts clean and the old attempt is kept. */
export async function setAside(sweepDir: string, runDir: string, id: string, now: Date): Promise<string | undefined> {
  if (!(await stat(runDir).catch(() => undefined))) return undefined;
  await markCrashed(runDir, now);
  const target = join(sweepDir, SWEEP_FILES.previous, `${id}_${timestampForPath(now)}`);
  await mkdir(join(sweepDir, SWEEP_FILES.previous), { recursive: true });
  await rename(runDir, target);
  return target;
}
