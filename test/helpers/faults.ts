import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface DiskFault {
  /** The file name whose writes fail (matched against the end of the target path). */
  file: string;
  /** The first write that fails, 1-based: 2 lets one epoch's files be written, then fails. */
  from: number;
  /** The errno code, e.g. ENOSPC for a full disk. */
  code: string;
}

/**
 * Writes a `--require` preload that makes the child's writes of one file fail from its Nth write on,
 * as Node reports a full disk (code, errno, syscall, path). A fault at a known point replaces racing the live process with
 * file-system changes. Atomic writes end in a rename onto the target, plain ones in writeFile or
 * appendFile on it: all three are covered, for node:fs/promises as imported by ESM modules too.
 */
export async function writeDiskFault(dir: string, fault: DiskFault): Promise<string> {
  const file = join(dir, `fault-${fault.file}-${fault.from}.cjs`);
  await writeFile(
    file,
    [
      "const fsp = require('node:fs/promises');",
      `const fault = ${JSON.stringify(fault)};`,
      'let writes = 0;',
      'for (const name of ["rename", "writeFile", "appendFile"]) {',
      '  const original = fsp[name];',
      '  const target = (args) => String(name === "rename" ? args[1] : args[0]);',
      '  fsp[name] = async function (...args) {',
      '    if (target(args).endsWith(fault.file) && ++writes >= fault.from) {',
      "      const err = new Error(`${fault.code}: no space left on device, ${name} '${target(args)}'`);",
      '      Object.assign(err, { errno: -28, code: fault.code, syscall: name, path: target(args) });',
      '      throw err;',
      '    }',
      '    return original.apply(this, args);',
      '  };',
      '}',
      "require('node:module').syncBuiltinESMExports();",
    ].join('\n'),
  );
  return file;
}
