import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { MetaSchema } from '../../src/run/format.js';
import { runCli } from '../helpers/cli.js';

let out: string;
beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'mnist-run-resume-'));
});
afterAll(() => rm(out, { recursive: true, force: true }));

const json = async <S extends z.ZodType>(schema: S, file: string) =>
  schema.parse(JSON.parse(await readFile(file, 'utf8')));
const exists = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  );

async function waitFor(check: () => Promise<boolean>, ms = 120_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check().catch(() => false))) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The notebook CNN (batch norm, dropout, Adam) for 3 epochs on a slice of MNIST. */
const cnn = [
  'configs/cnn.yaml',
  '--set',
  'data.trainSize=1600',
  '--set',
  'data.testSize=300',
  '--set',
  'train.epochs=3',
];

/** Starts a run and resolves once its first checkpoint is written: it is then in its second epoch. */
async function startAndReachEpoch2(root: string) {
  let pid = 0;
  const done = runCli([...cnn, '--out', root], { onSpawn: (p) => (pid = p) });
  let runDir = '';
  await waitFor(async () => {
    const [dir] = await readdir(root);
    runDir = join(root, dir!);
    return exists(join(runDir, 'checkpoint.bin'));
  });
  return { done, runDir, pid };
}

/** Every per-epoch figure but the times, which differ from run to run. */
async function epochFigures(runDir: string) {
  const lines = (await readFile(join(runDir, 'metrics.jsonl'), 'utf8')).trim().split('\n');
  return lines.map((l) => {
    const { seconds: _, samples_per_second: __, ...rest } = JSON.parse(l);
    return rest;
  });
}

describe('mnist-run resume RUN_DIR', { timeout: 300_000 }, () => {
  it('finishes a run killed with -9 during epoch 2 exactly as an uninterrupted run with the same seed', async () => {
    const whole = await runCli([...cnn, '--out', join(out, 'whole'), '--json']);
    expect(whole.code).toBe(0);
    const wholeDir = JSON.parse(whole.stdout).runDir as string;

    const root = join(out, 'killed');
    const run = await startAndReachEpoch2(root);
    process.kill(run.pid, 'SIGKILL');
    await run.done;
    expect(await epochFigures(run.runDir)).toHaveLength(1); // it died in epoch 2
    // Nothing in the folder said so, yet every listing tells the dead run from a live one.
    const listed = await runCli(['compare', root]);
    expect(listed.stdout).toMatch(/_cnn_\w+\s+crashed/);

    const resumed = await runCli(['resume', run.runDir, '--json']);
    expect(resumed.stderr).not.toMatch(/\n\s+at |internal error/);
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toMatch(/run resumed .*fromEpoch=1/);
    expect(await epochFigures(run.runDir)).toEqual(await epochFigures(wholeDir));
    expect(await readFile(join(run.runDir, 'predictions.csv'), 'utf8')).toBe(
      await readFile(join(wholeDir, 'predictions.csv'), 'utf8'),
    );
    const meta = await json(MetaSchema, join(run.runDir, 'meta.json'));
    expect(meta.status).toBe('completed');
    expect(meta.resumed).toEqual([expect.objectContaining({ fromEpoch: 1 })]);
    expect(meta.pid).not.toBe(run.pid);
    expect(await exists(join(run.runDir, 'checkpoint.bin'))).toBe(false); // done: no checkpoint left
    expect(await exists(join(run.runDir, '.lock'))).toBe(false);
  });

  it('refuses a live run, resumes an interrupted one that kept its model, then refuses it as completed', async () => {
    const run = await startAndReachEpoch2(join(out, 'stopped'));
    const live = await runCli(['resume', run.runDir]);
    expect(live.code).toBe(1);
    expect(live.stderr).toMatch(new RegExp(`is still training \\(process ${run.pid} on .*\\); stop it first`));
    process.kill(run.pid, 'SIGINT');
    expect((await run.done).code).toBe(130);
    expect((await json(MetaSchema, join(run.runDir, 'meta.json'))).status).toBe('interrupted');
    expect(await exists(join(run.runDir, 'model', 'model.json'))).toBe(true); // its latest model is kept

    const resumed = await runCli(['resume', run.runDir]);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout.trim()).toBe(run.runDir);
    expect(await epochFigures(run.runDir)).toHaveLength(3);

    const again = await runCli(['resume', run.runDir]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already completed: there is nothing to resume/);
  });

  it('refuses what is not a run folder, with the reason', async () => {
    const res = await runCli(['resume', out]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/is not a run folder mnist-run can resume \(meta\.json missing\)/);
    expect(res.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('a run that diverges', () => {
  it('stops at the batch, says diverged everywhere, and writes no results', async () => {
    const root = join(out, 'diverged');
    const huge = '{type: constant, value: 1e30}';
    const res = await runCli([
      'configs/ann.yaml',
      '--set',
      'data.trainSize=200',
      '--set',
      'data.testSize=50',
      '--set',
      `model.layers.1.kernelInitializer=${huge}`,
      '--set',
      `model.layers.3.kernelInitializer=${huge}`,
      '--out',
      root,
    ]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(
      /mnist-run: training diverged at epoch 1, batch 1 of \d+: the batch's loss is NaN\. To fix: .*initializer at model\.layers\[1\]/,
    );
    expect(res.stderr).not.toMatch(/\n\s+at |internal error/);
    const [dir] = await readdir(root);
    const runDir = join(root, dir!);
    expect((await json(MetaSchema, join(runDir, 'meta.json'))).status).toBe('diverged');
    const files = await readdir(runDir);
    for (const result of ['predictions.csv', 'summary.json', 'confusion_matrix.csv', 'model'])
      expect(files).not.toContain(result);
    const listed = await runCli(['compare', root]);
    expect(listed.stdout).toMatch(/diverged/);
    const resumed = await runCli(['resume', runDir]);
    expect(resumed.code).toBe(1);
    expect(resumed.stderr).toMatch(/diverged .*resuming it would diverge again/);
  });
});
