import { basename, dirname, resolve } from 'node:path';
import type { LoadedConfig } from '../config/load.js';
import { ConfigError } from '../errors.js';
import { pathSegment } from '../util/names.js';
import { contentId, codeVersion as versionText } from './content-id.js';
import { expandSweep, overrideArgs } from './expand.js';
import type { PlannedRun, SweepPlan } from './format.js';
import type { SweepSpec } from './schema.js';

/** What planning needs from the world: the config loader and data checksums, injected for tests. */
export interface PlanDeps {
  loadConfig: (file: string, overrides: string[]) => Promise<LoadedConfig>;
  dataSha256: (loaded: LoadedConfig) => Promise<string[]>;
  codeVersion: () => Promise<{ version: string; commit: string | null }>;
}

/** The sweep folder's name: `name:` from the file, else its file name without `.sweep.yaml`; one path segment under --out. */
export function sweepName(file: string, spec: SweepSpec): string {
  return pathSegment(spec.name ?? basename(file).replace(/(\.sweep)?\.ya?ml$/, ''), 'sweep');
}

/**
 * Resolves every point through the real config loader (so a bad override fails before anything
 * runs) and names each run by its content. `extra` are the command line's own `--set`s.
 */
export async function planSweep(
  file: string,
  spec: SweepSpec,
  extra: string[],
  deps: PlanDeps,
  pinnedVersion?: string,
) {
  const base = resolve(dirname(file), spec.base);
  const found = await deps.codeVersion();
  const code: string = pinnedVersion ?? versionText(found.version, found.commit);
  const runs: PlannedRun[] = [];
  const configs = new Map<string, LoadedConfig>();
  /** Each run's data checksums: part of its id, and how a worker finds the same data. */
  const sums = new Map<string, string[]>();
  const duplicates: SweepPlan['duplicates'] = [];
  for (const point of expandSweep(spec)) {
    const overrides = [...overrideArgs(point.overrides), ...extra];
    const loaded = await deps.loadConfig(base, overrides).catch((err: unknown) => {
      if (err instanceof ConfigError)
        throw new ConfigError(
          `${basename(file)}: run "${point.label}" (${spec.base} ${overrides.map((o) => `--set ${o}`).join(' ')}):\n${err.message}`,
        );
      throw err;
    });
    const dataSha256 = await deps.dataSha256(loaded);
    const id = contentId({ resolvedYaml: loaded.resolvedYaml, dataSha256, codeVersion: code });
    const same = runs.find((r) => r.id === id);
    if (same) {
      duplicates.push({ label: point.label, sameAs: same.label });
      continue;
    }
    runs.push({ id, label: point.label, overrides, dir: `runs/${id}` });
    configs.set(id, loaded);
    sums.set(id, dataSha256);
  }
  const plan: SweepPlan = {
    name: sweepName(file, spec),
    sweepFile: file,
    baseConfig: base,
    codeVersion: code,
    runs,
    duplicates,
  };
  return { plan, configs, sums };
}
