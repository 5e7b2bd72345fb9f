import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type LoadedConfig, loadConfig } from '../config/load.js';
import { gitCommit, PACKAGE_ROOT } from '../run/version.js';
import { codeVersion as versionText } from './content-id.js';
import { loadSweep } from './load.js';
import { type PlanDeps, planSweep } from './plan.js';

/** The real world for planning: the config loader, data checksums (one read per data folder) and the code version. */
function realDeps(): PlanDeps {
  const sums = new Map<string, Promise<string[]>>();
  return {
    loadConfig,
    dataSha256: (loaded: LoadedConfig) => {
      const key = String(loaded.dataPath);
      if (!sums.has(key)) {
        sums.set(
          key,
          import('../data/dataset.js').then(async ({ loadDataset }) => {
            const d = await loadDataset({ path: loaded.dataPath, trainSize: 1, testSize: 1 });
            return d.files.map((f) => f.sha256);
          }),
        );
      }
      return sums.get(key)!;
    },
    codeVersion: async () => {
      const pkg = JSON.parse(await readFile(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string };
      return { version: pkg.version, commit: await gitCommit() };
    },
  };
}

/** What identifies this code in content ids: package version, plus the git commit in a checkout. */
export async function codeVersionHere(): Promise<string> {
  const { version, commit } = await realDeps().codeVersion();
  return versionText(version, commit);
}

export async function prepareSweep(file: string, extra: string[], cwd: string, pinnedVersion?: string) {
  const spec = await loadSweep(file, cwd);
  return planSweep(file, spec, extra, realDeps(), pinnedVersion);
}
