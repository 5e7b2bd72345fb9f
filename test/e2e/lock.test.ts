import { spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const LOCK = pathToFileURL(join(import.meta.dirname, '..', '..', 'dist', 'util', 'lock.js')).href;

/** One process: waits for the agreed instant, tries the lock, says whether it got in, holds it a while. */
const CONTENDER = `
import { acquireLock } from ${JSON.stringify(LOCK)};
const at = Number(process.env.LOCK_AT);
while (Date.now() < at) {}
try {
  const release = await acquireLock(process.env.LOCK_FILE, 'folder f');
  process.stdout.write('won');
  setTimeout(release, 2000); // held past every other contender's try
} catch (err) {
  process.stdout.write('refused: ' + err.message);
}
`;

function contender(file: string, at: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--input-type=module', '-e', CONTENDER], {
      env: { ...process.env, LOCK_FILE: file, LOCK_AT: String(at) },
    });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    p.on('error', reject);
    p.on('close', () => resolve(out));
  });
}

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'lock-e2e-'));
});

describe('a lock file across processes', () => {
  it.each([
    ['no lock yet', undefined],
    ['a lock left by a dead process', JSON.stringify({ pid: 2 ** 22 + 12_345, host: hostname() })],
  ])(
    'with %s, of 8 processes trying at the same instant exactly one gets in',
    async (_, left) => {
      const file = join(root, `${left ? 'stale' : 'fresh'}.lock`);
      if (left) await writeFile(file, left);
      const at = Date.now() + 4000; // after all of them have started, on a busy machine too
      const said = await Promise.all(Array.from({ length: 8 }, () => contender(file, at)));
      expect(said.filter((s) => s === 'won')).toHaveLength(1);
      for (const s of said.filter((x) => x !== 'won'))
        expect(s).toMatch(/^refused: folder f is in use by process \d+; wait for it/);
    },
    60_000,
  );
});
