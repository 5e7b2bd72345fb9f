import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/** Which code made a run; kept free of tfjs so light commands (sweep planning, compare) can use it. */

/** Root of the installed package: src/run/ and dist/run/ both sit two levels below it. */
export const PACKAGE_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

/** The commit of the checkout mnist-run runs from, or null outside git (an npm install, say). */
export async function gitCommit(): Promise<string | null> {
  try {
    const { stdout } = await promisify(execFile)('git', ['rev-parse', 'HEAD'], { cwd: PACKAGE_ROOT, timeout: 5000 });
    return stdout.trim() || null;
  } catch {
    return null;
  }
}
