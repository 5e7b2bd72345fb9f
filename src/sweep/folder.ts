import { mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { SWEEP_FILES } from '../output-files.js';
import { timestampForPath } from '../run/folder.js';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * One sweep process per folder: two would train the same runs into the same folders. A lock left by
 * a process that died (kill -9, power cut) is taken over. Returns the release function.
 */
export async function lockSweep(dir: string): Promise<() => Promise<void>> {
  const file = join(dir, SWEEP_FILES.lock);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(file, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      return () => unlink(file).catch(() => undefined);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(await readFile(file, 'utf8').catch(() => ''));
      if (pid > 0 && pid !== process.pid && alive(pid)) {
        throw new UsageError(
          `sweep folder ${dir} is in use by process ${pid}; wait for it, or stop it with Ctrl-C, then run again`,
        );
      }
      await unlink(file).catch(() => undefined);
    }
  }
  throw new UsageError(`cannot lock sweep folder ${dir}: remove ${file} if no sweep is running`);
}

/** Moves an unfinished run folder to previous/ so the retry starts clean and the old attempt is kept. */
export async function setAside(sweepDir: string, runDir: string, id: string, now: Date): Promise<string | undefined> {
  if (!(await stat(runDir).catch(() => undefined))) return undefined;
  const target = join(sweepDir, SWEEP_FILES.previous, `${id}_${timestampForPath(now)}`);
  await mkdir(join(sweepDir, SWEEP_FILES.previous), { recursive: true });
  await rename(runDir, target);
  return target;
}
