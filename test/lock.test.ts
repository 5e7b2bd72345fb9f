import { mkdtemp, readFile, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { acquireLock } from '../src/util/lock.js';

const DEAD = 2 ** 22 + 12_345; // above Linux's pid_max: no process has it
let root: string;
let n = 0;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'lock-'));
});
const fresh = () => join(root, `l${n++}`);

/** Everyone at once; returns how many got in and the refusals' messages. */
async function race(file: string, count: number) {
  const results = await Promise.allSettled(Array.from({ length: count }, () => acquireLock(file, 'folder f')));
  const won = results.filter((r) => r.status === 'fulfilled');
  const refused = results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as Error).message] : []));
  return { won: won.length, refused };
}

describe('acquireLock', () => {
  it('lets exactly one of many acquirers starting at once in, and tells the others who holds it', async () => {
    const file = fresh();
    const { won, refused } = await race(file, 40);
    expect(won).toBe(1);
    expect(new Set(refused)).toEqual(
      new Set([`folder f is in use by process ${process.pid}; wait for it, or stop it with Ctrl-C, then run again`]),
    );
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ pid: process.pid });
  });

  it('takes over a lock whose holder is dead, exactly one of many at once', async () => {
    for (const stale of [String(DEAD), JSON.stringify({ pid: DEAD, host: 'here' })]) {
      const file = fresh();
      await writeFile(file, stale);
      // Staggered over a few milliseconds, so that acquirers are at every step of the takeover at once.
      const results = await Promise.allSettled(
        Array.from({ length: 40 }, async (_, i) => {
          await new Promise((r) => setTimeout(r, i % 8));
          return acquireLock(file, 'f', { host: 'here', alive: (p) => p === process.pid });
        }),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    }
  });

  it('never steals an empty lock file being written right now, but takes one left long ago', async () => {
    const file = fresh();
    await writeFile(file, '');
    await expect(acquireLock(file, 'folder f')).rejects.toThrow(
      'folder f is being locked by another process at this moment; wait for it',
    );
    const old = new Date(Date.now() - 60_000);
    await utimes(file, old, old);
    const release = await acquireLock(file, 'folder f');
    release();
  });

  it('leaves a lock held on another host alone: its process cannot be looked at from here', async () => {
    const file = fresh();
    await writeFile(file, JSON.stringify({ pid: DEAD, host: 'elsewhere' }));
    await expect(acquireLock(file, 'folder f', { host: 'here' })).rejects.toThrow(
      `folder f is in use by process ${DEAD} on elsewhere;`,
    );
  });

  it('releases only its own lock, and the next acquirer gets in', async () => {
    const file = fresh();
    const release = await acquireLock(file, 'f');
    release();
    await expect(readFile(file)).rejects.toThrow(/ENOENT/);
    const again = await acquireLock(file, 'f');
    await writeFile(file, JSON.stringify({ pid: process.pid, host: 'other', nonce: 'x' })); // not ours any more
    again();
    expect(await readFile(file, 'utf8')).toContain('"nonce":"x"');
  });
});
