/**
 * A real full disk: a small tmpfs mounted for this file (CI runs as root; mounting needs it). Every
 * write a run makes meets ENOSPC as it would on a full drive, with no fault injected.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, writeSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MetaSchema } from '../../src/run/format.js';
import { runCli } from '../helpers/cli.js';

const root = process.getuid?.() === 0;
let disk: string;

/** Fills the file system under `dir` to the last byte; returns the filler's path, to free it again. */
function fill(dir: string, name: string): string {
  const path = join(dir, name);
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(4096, 1);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
  return path;
}

beforeAll(() => {
  if (!root) return;
  disk = mkdtempSync(join(tmpdir(), 'mnist-run-full-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', disk]);
});
afterAll(() => {
  if (!root) return;
  execFileSync('umount', [disk]);
  return rm(disk, { recursive: true, force: true });
});

const small = ['configs/ann.yaml', '--set', 'data.trainSize=600', '--set', 'data.testSize=100'];

// Mounting a tmpfs needs root: CI has it (it runs as root); elsewhere these tests say why they did not run.
describe.skipIf(!root)('on a full disk (a 4 MiB tmpfs)', () => {
  it('a run that cannot start leaves no folder and says the disk is full', async () => {
    const out = join(disk, 'nothing');
    await mkdir(out);
    const filler = fill(disk, 'filler-start');
    try {
      const res = await runCli([...small, '--out', out]);
      expect(res.code).toBe(1);
      expect(res.stderr).toMatch(/no space left on device/i);
      expect(res.stderr).toMatch(/free disk space/);
      expect(res.stderr).not.toMatch(/\n\s+at |internal error/);
      expect(await readdir(out)).toEqual([]);
    } finally {
      await rm(filler);
    }
  });

  it('a disk that fills up mid-run ends it failed, and meta.json says so truthfully', async () => {
    const out = join(disk, 'mid');
    let pid = 0;
    const done = runCli([...small, '--set', 'train.epochs=30', '--out', out], { onSpawn: (p) => (pid = p) });
    let runDir = '';
    const until = Date.now() + 120_000;
    for (;;) {
      const [dir] = await readdir(out).catch(() => []);
      runDir = join(out, dir ?? '');
      const metrics = await readFile(join(runDir, 'metrics.jsonl'), 'utf8').catch(() => '');
      if (metrics.includes('"epoch":1')) break;
      if (Date.now() > until) throw new Error('the run never finished its first epoch');
      await new Promise((r) => setTimeout(r, 20));
    }
    const filler = fill(disk, 'filler-mid');
    try {
      const res = await done;
      expect(pid).toBeGreaterThan(0);
      expect(res.code).toBe(1);
      expect(res.stderr).toMatch(/no space left on device/i);
      expect(res.stderr).not.toMatch(/\n\s+at |internal error/);
      // The atomic write of the last status needs a new file, which a full disk refuses: it is
      // rewritten in place instead, so the folder does not claim the run is still going.
      const meta = MetaSchema.parse(JSON.parse(await readFile(join(runDir, 'meta.json'), 'utf8')));
      expect(meta.status).toBe('failed');
      expect(meta.error).toMatch(/ENOSPC/);
      expect(meta.end).not.toBeNull();
      await expect(stat(join(runDir, 'summary.json'))).rejects.toThrow(/ENOENT/);
    } finally {
      await rm(filler);
    }
  });
});
