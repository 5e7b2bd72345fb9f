import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Calibrate, dryRun, formatDryRun } from '../src/sweep/dry-run.js';
import { RUN_OVERHEAD_SECONDS } from '../src/sweep/estimate.js';
import { prepareSweep } from '../src/sweep/prepare.js';

const ANN = join(import.meta.dirname, '..', 'configs', 'ann.yaml');
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dry-run-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** A fixed speed instead of timing batches: the estimate becomes exact arithmetic. */
const fixedSpeed = (trainSamplesPerSecond: number, inferSamplesPerSecond: number) => {
  const asked: string[] = [];
  const calibrate: Calibrate = async (label) => {
    asked.push(label);
    return { trainSamplesPerSecond, inferSamplesPerSecond };
  };
  return { calibrate, asked };
};

async function plan(lines: string[]) {
  const file = join(dir, 'tiny.sweep.yaml');
  await writeFile(file, [`base: ${relative(dir, ANN)}`, ...lines, ''].join('\n'));
  return prepareSweep(file, [], dir, 'test');
}

describe('sweep --dry-run', () => {
  it('prints each run with its parameter count and an estimate from the measured speed', async () => {
    const { plan: p, configs } = await plan([
      'set: { data.trainSize: 1000, data.testSize: 500, train.epochs: 2 }',
      'grid:',
      '  model.layers.1.units: [16, 32]',
      '  seed: [1, 2]',
    ]);
    const speed = fixedSpeed(100, 1000);
    const d = await dryRun(p, configs, {
      backend: 'cpu',
      parallel: 2,
      threads: 1,
      calibrate: speed.calibrate,
      overheadSeconds: 0,
    });
    // Two architectures, each timed once: the seeds share a calibration.
    expect(speed.asked).toHaveLength(2);
    // Per run: 2 epochs × 1000 / 100 samples/s, plus one pass over the test set (its metrics and
    // predictions): 500 / 1000.
    expect(d.runs.map((r) => r.seconds)).toEqual([20.5, 20.5, 20.5, 20.5]);
    expect(d.totalSeconds).toBe(41); // four runs of 20.5 s, two at a time
    const text = formatDryRun(p, d);
    expect(text).toMatch(/^tiny: 4 runs from /);
    expect(text).toMatch(/ 16,026 .* model\.layers\.1\.units=16 seed=1/); // (784·16+16) + (16·128+128) + (128·10+10)
    expect(text).toMatch(/ 30,634 .* model\.layers\.1\.units=32 seed=2/); // (784·32+32) + (32·128+128) + 1290
    expect(text).toMatch(/^ {2}1 {2}[0-9a-f]{16} {7}16,026 {6}21s {2}data\.trainSize=1000 .* seed=1$/m);
    expect(text).toMatch(/estimated total: 41s with --parallel 2/);
    expect(text).toMatch(/calibration: 2 architecture\(s\) timed .* on cpu /);
  });

  it('counts validation on a held-out split at the inference speed', async () => {
    const { plan: p, configs } = await plan([
      'set: { data.trainSize: 1000, data.testSize: 500, train.epochs: 1, train.validation: { split: 0.2 } }',
      'grid:',
      '  seed: [1]',
    ]);
    const d = await dryRun(p, configs, {
      backend: 'cpu',
      parallel: 1,
      threads: 1,
      calibrate: fixedSpeed(100, 1000).calibrate,
      overheadSeconds: 0,
    });
    // 800 trained at 100/s, 200 validated at 1000/s, then the 500 test samples at 1000/s.
    expect(d.runs[0]!.seconds).toBeCloseTo(8 + 0.2 + 0.5, 10);
  });

  it('adds each run’s process start-up and fixed costs, shared out by --parallel', async () => {
    const { plan: p, configs } = await plan([
      'set: { data.trainSize: 100, data.testSize: 100, train.epochs: 1 }',
      'grid:',
      '  seed: [1, 2, 3, 4]',
    ]);
    const at = (parallel: number) =>
      dryRun(p, configs, { backend: 'cpu', parallel, threads: 1, calibrate: fixedSpeed(1e9, 1e9).calibrate });
    // Training at a billion samples a second costs nothing: what is left is the processes.
    const one = await at(1);
    expect(RUN_OVERHEAD_SECONDS).toBeGreaterThan(1);
    expect(one.runs[0]!.seconds).toBeCloseTo(RUN_OVERHEAD_SECONDS, 5);
    expect(one.totalSeconds).toBeCloseTo(4 * RUN_OVERHEAD_SECONDS, 5);
    expect((await at(2)).totalSeconds).toBeCloseTo(2 * RUN_OVERHEAD_SECONDS, 5);
    expect(formatDryRun(p, one)).toMatch(/each run adds 2\.4 s for its process/);
  });
});
