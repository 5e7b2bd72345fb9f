import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Writes a `--require` preload that makes the process fail as soon as any @tensorflow module is
 * resolved, through require or import: proof that a command never loads tfjs.
 */
export async function writeNoTfjsGuard(dir: string): Promise<string> {
  const hook = `data:text/javascript,${encodeURIComponent(
    "export async function resolve(s, c, next) { if (s.includes('@tensorflow')) throw new Error('tfjs loaded: ' + s); return next(s, c); }",
  )}`;
  const file = join(dir, 'no-tfjs.cjs');
  await writeFile(
    file,
    [
      "const M = require('node:module');",
      'const load = M._load;',
      "M._load = function (r, ...a) { if (String(r).includes('@tensorflow')) throw new Error('tfjs loaded: ' + r); return load.call(this, r, ...a); };",
      `M.register(${JSON.stringify(hook)});`,
    ].join('\n'),
  );
  return file;
}
