import { basename } from 'node:path';
import { diagnose } from '../backend/doctor.js';
import type { BackendName } from '../backend/names.js';
import { selectBackend } from '../backend/select.js';
import { loadConfig } from '../config/load.js';
import { loadDataset } from '../data/dataset.js';
import { type BenchCell, benchConfig } from './bench.js';

export interface BenchOptions {
  files: string[];
  overrides: string[];
  backends?: BackendName[];
  samples: number;
  seconds: number;
}

/** Every requested (or loadable) backend × every config; progress lines go to `progress`. */
export async function runBench(o: BenchOptions, progress: NodeJS.WritableStream): Promise<BenchCell[]> {
  const configs = await Promise.all(o.files.map((f) => loadConfig(f, o.overrides)));
  const names = o.backends ?? (await diagnose()).backends.filter((b) => b.ok).map((b) => b.name);
  const cells: BenchCell[] = [];
  for (const name of names) {
    const backend = await selectBackend(name);
    for (const loaded of configs) {
      const data = await loadDataset({
        path: loaded.dataPath,
        trainSize: Math.min(o.samples + 1024, 60000),
        testSize: 1,
      });
      const label = basename(loaded.file).replace(/\.ya?ml$/, '');
      progress.write(`bench: ${name} ${label}…\n`);
      cells.push(await benchConfig(label, loaded.config, data, backend, { samples: o.samples, seconds: o.seconds }));
    }
  }
  return cells;
}
