import { spawn, spawnSync } from 'node:child_process';
import { access, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { CLI, runCli } from '../helpers/cli.js';
import { cfg, fakeRun } from '../helpers/fake-run.js';

let root: string;
const present = (p: string) =>
  access(join(root, p)).then(
    () => true,
    () => false,
  );
const BACKEND = { name: 'cpu', tfName: 'cpu', device: 'test cpu', threads: 1 };

/** A finished run as training leaves it (meta.json version 0: few fields), started at `start`. */
async function run(dir: string, start: string, acc: number, extra: { tags?: string[]; meta?: object } = {}) {
  await fakeRun(join(root, dir), { ...cfg('relu', 1), ...(extra.tags && { tags: extra.tags }) }, acc);
  await writeFile(join(root, dir, 'config.yaml'), 'model: {}\n');
  const meta = { status: 'completed', name: dir.split('/').at(-1), start, backend: BACKEND, ...extra.meta };
  await writeFile(join(root, dir, 'meta.json'), JSON.stringify(meta));
}

beforeEach(async () => {
  if (root) await rm(root, { recursive: true, force: true });
  root = await mkdtemp(join(tmpdir(), 'runs-cli-'));
  await run('runs/b', '2026-01-02T10:00:00.000Z', 0.91, { tags: ['baseline', 'small'] });
  await run('runs/a', '2026-01-03T09:30:00.000Z', 0.95);
  await run('runs/live', '2026-01-01T08:00:00.000Z', 0.5, {
    meta: { status: 'running', pid: process.pid, host: hostname() }, // this test's node process: alive
  });
  await mkdir(join(root, 'notes'), { recursive: true });
  await writeFile(join(root, 'notes', 'todo.txt'), 'keep me\n');
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe('ls', () => {
  it('lists every run oldest first, with when, name, status, accuracy, backend, tags and folder', async () => {
    const res = await runCli(['ls'], { cwd: root });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const lines = res.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^when +name +status +test_acc +backend +tags +folder$/);
    expect(lines.slice(1).map((l) => l.split(/ {2,}/))).toEqual([
      ['2026-01-01 08:00 UTC', 'live', 'running', '0.5000', 'cpu', '-', 'runs/live'],
      ['2026-01-02 10:00 UTC', 'b', 'completed', '0.9100', 'cpu', 'baseline,small', 'runs/b'],
      ['2026-01-03 09:30 UTC', 'a', 'completed', '0.9500', 'cpu', '-', 'runs/a'],
    ]);
  });

  it('--json gives the same runs as data', async () => {
    const res = await runCli(['ls', 'runs', '--json'], { cwd: root });
    expect(res.code).toBe(0);
    const runs = JSON.parse(res.stdout) as { name: string; tags: string[]; testAccuracy: number; dir: string }[];
    expect(runs.map((r) => [r.name, r.tags, r.testAccuracy, r.dir])).toEqual([
      ['live', [], 0.5, 'runs/live'],
      ['b', ['baseline', 'small'], 0.91, 'runs/b'],
      ['a', [], 0.95, 'runs/a'],
    ]);
  });

  it('reads a sweep folder, and says so when a folder does not exist', async () => {
    await run('sweeps/s/runs/0123456789abcdef', '2026-02-01T00:00:00.000Z', 0.9);
    await writeFile(join(root, 'sweeps/s/plan.json'), '{"runs":[]}');
    const res = await runCli(['ls', 'sweeps/s', '--json'], { cwd: root });
    expect(JSON.parse(res.stdout).map((r: { dir: string }) => r.dir)).toEqual(['sweeps/s/runs/0123456789abcdef']);
    const missing = await runCli(['ls', 'nope'], { cwd: root });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/nope: no such folder; pass a folder of runs/);
  });
});

describe('rm', () => {
  it('--yes deletes the runs named', async () => {
    const res = await runCli(['rm', 'runs/a', 'runs/b', '--yes'], { cwd: root });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toBe('deleted 2 runs (runs/a, runs/b)\n');
    expect([await present('runs/a'), await present('runs/b'), await present('runs/live')]).toEqual([
      false,
      false,
      true,
    ]);
  });

  it('without a terminal and without --yes refuses, deleting nothing', async () => {
    const res = await runCli(['rm', 'runs/a'], { cwd: root });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/not on a terminal, so it cannot ask; pass --yes/);
    expect(await present('runs/a')).toBe(true);
  });

  it.each([
    [
      'a folder that is no run',
      ['runs/a', 'notes'],
      /notes: not a run folder \(it has no meta\.json or config\.yaml\)/,
    ],
    ['a run that is still training', ['runs/a', 'runs/live'], /runs\/live: the run is still training; stop it first/],
    ['a folder that does not exist', ['runs/a', 'runs/zz'], /runs\/zz: no such folder/],
  ])('refuses %s, and deletes none of the others', async (_, args, why) => {
    const res = await runCli(['rm', ...args, '--yes'], { cwd: root });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/nothing deleted:/);
    expect(res.stderr).toMatch(why);
    expect([await present('runs/a'), await present('notes/todo.txt')]).toEqual([true, true]);
  });

  it('refuses a run whose lock a live process holds', async () => {
    await writeFile(join(root, 'runs/a/.lock'), JSON.stringify({ pid: process.pid, host: hostname(), nonce: 'x' }));
    const res = await runCli(['rm', 'runs/a', '--yes'], { cwd: root });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(new RegExp(`run folder runs/a is in use by process ${process.pid}`));
    expect(await present('runs/a')).toBe(true);
  });
});

/** util-linux `script`: runs a command on a pseudo-terminal, its output on our stdout, our stdin typed into it. */
const hasScript = spawnSync('script', ['--version']).status === 0;
const shellQuote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;

/** Runs the CLI on a terminal and types `answer` and Enter once `prompt` is shown; what the terminal showed. */
function onTerminal(args: string[], prompt: string, answer: string): Promise<{ code: number | null; screen: string }> {
  const command = [process.execPath, CLI, ...args].map(shellQuote).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qec', command, '/dev/null'], {
      cwd: root,
      env: { ...process.env, NO_COLOR: '1' },
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000); // a prompt never shown must not hang the suite
    let screen = '';
    let typed = false;
    child.stdout.on('data', (d: Buffer) => {
      screen += d.toString();
      if (typed || !screen.includes(prompt)) return;
      typed = true;
      child.stdin.write(`${answer}\r`); // Enter, as a terminal sends it
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, screen: screen.replaceAll('\r\n', '\n') });
    });
  });
}

describe.skipIf(!hasScript)('rm on a terminal', () => {
  it.each([
    ['n', 'keeps the folder', true, 'nothing deleted\n'],
    ['y', 'deletes it', false, 'deleted 1 run (runs/a)\n'],
  ])('answering %s to its question %s', async (answer, _, kept, said) => {
    const res = await onTerminal(['rm', 'runs/a'], '[y/N] ', answer);
    expect(res.code, res.screen).toBe(0);
    expect(res.screen).toContain('delete 1 run (runs/a)? [y/N] ');
    expect(res.screen.endsWith(said), res.screen).toBe(true);
    expect([await present('runs/a'), await present('runs/b')]).toEqual([kept, true]);
  });
});

describe('validate --json', () => {
  it('prints the errors as data on stdout, the text on stderr, and exits 1', async () => {
    await writeFile(join(root, 'p.yaml'), 'model:\n  layers:\n    - type: dense\n      units: -3\n');
    await writeFile(join(root, 'x.yaml'), 'extends: p.yaml\nseed: -1\n');
    const res = await runCli(['validate', 'x.yaml', '--json'], { cwd: root });
    expect(res.code).toBe(1);
    const out = JSON.parse(res.stdout);
    expect(out).toMatchObject({ ok: false, file: 'x.yaml', warnings: [] });
    expect(out.errors.map((e: object) => ({ ...e, message: undefined }))).toEqual([
      { file: 'x.yaml', line: 2, column: 7, path: 'seed', message: undefined },
      { file: 'p.yaml', line: 4, column: 14, path: 'model.layers[0].units', message: undefined },
    ]);
    expect(out.errors[0].message).toMatch(/^expected/);
    expect(res.stderr).toMatch(/x\.yaml:2:7 seed: expected/);
  });

  it('a sweep file gets the one error that says how to run it; a good config says ok: true', async () => {
    await writeFile(join(root, 's.yaml'), 'base: x.yaml\ngrid:\n  seed: [1, 2]\n');
    const res = await runCli(['validate', 's.yaml', '--json'], { cwd: root });
    expect(res.code).toBe(1);
    expect(JSON.parse(res.stdout).errors).toEqual([
      {
        file: 's.yaml',
        line: 1,
        column: 1,
        path: '',
        message:
          's.yaml is a sweep file: run it with `mnist-run sweep s.yaml` (or `mnist-run sweep s.yaml --dry-run` to see its runs)',
      },
    ]);
    await writeFile(
      join(root, 'ok.yaml'),
      'tags: [t1]\nmodel:\n  layers:\n    - type: flatten\n    - type: dense\n      units: 10\n      activation: softmax\n',
    );
    const ok = await runCli(['validate', 'ok.yaml', '--json'], { cwd: root });
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ ok: true, file: 'ok.yaml', config: { tags: ['t1'] } });
  });
});
