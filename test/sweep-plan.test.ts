import { describe, expect, it } from 'vitest';
import { ConfigError } from '../src/errors.js';
import { type PlanDeps, planSweep, sweepName } from '../src/sweep/plan.js';
import { SweepSchema } from '../src/sweep/schema.js';

/** A config loader that resolves only `units` and `seed`, and rejects units below 1 as the real one would. */
const deps = (commit: string | null = 'abc'): PlanDeps => ({
  loadConfig: async (file, overrides) => {
    const units = Number(overrides.find((o) => o.startsWith('units='))?.slice(6) ?? 8);
    if (units < 1) throw new ConfigError(`--set units=${units}: expected a positive integer, received ${units}`);
    const seed = overrides.find((o) => o.startsWith('seed='))?.slice(5) ?? '1';
    return {
      file,
      config: {},
      resolvedYaml: `units: ${units}\nseed: ${seed}\n`,
      dataPath: undefined,
      warnings: [],
    } as never;
  },
  dataSha256: async () => ['d1'],
  codeVersion: async () => ({ version: '0.1.0', commit }),
});

const spec = (s: object) => SweepSchema.parse({ base: '../configs/ann.yaml', ...s });

describe('planSweep', () => {
  it('names runs by content, runs equal configs once, and resolves the base beside the sweep file', async () => {
    const { plan } = await planSweep(
      '/w/sweeps/x.sweep.yaml',
      spec({ grid: { units: [8, 16] }, variants: { same: { units: 8 } } }),
      ['epochs=1'],
      deps(),
    );
    expect(plan.baseConfig).toBe('/w/configs/ann.yaml');
    expect(plan.codeVersion).toBe('0.1.0+abc');
    expect(plan.runs.map((r) => [r.label, r.overrides, r.dir === `runs/${r.id}`])).toEqual([
      ['units=8', ['units=8', 'epochs=1'], true],
      ['units=16', ['units=16', 'epochs=1'], true],
    ]);
    expect(plan.duplicates).toEqual([{ label: 'same', sameAs: 'units=8' }]);
  });

  it('gives other ids under other code, and the same ids under a pinned version', async () => {
    const ids = async (d: PlanDeps, pin?: string) =>
      (await planSweep('/w/x.yaml', spec({ seeds: 2 }), [], d, pin)).plan.runs.map((r) => r.id);
    expect(await ids(deps('abc'))).not.toEqual(await ids(deps('def')));
    expect(await ids(deps('abc'), 'v')).toEqual(await ids(deps('def'), 'v'));
    expect(new Set(await ids(deps())).size).toBe(2);
  });

  it('says which run of the sweep has a bad override, with the loader message', async () => {
    await expect(planSweep('/w/x.sweep.yaml', spec({ grid: { units: [4, 0] } }), [], deps())).rejects.toThrow(
      'x.sweep.yaml: run "units=0" (../configs/ann.yaml --set units=0):\n--set units=0: expected a positive integer, received 0',
    );
  });

  it.each([
    ['/a/exercise.sweep.yaml', {}, 'exercise'],
    ['/a/b.yml', {}, 'b'],
    ['/a/b.yaml', { name: 'my sweep/1' }, 'my-sweep-1'],
  ])('keys the sweep folder of %s by its name', (file, s, name) => {
    expect(sweepName(file, spec(s))).toBe(name);
  });
});
