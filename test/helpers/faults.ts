import { join } from 'node:path';

export interface DiskFault {
  /** The file name whose writes fail (matched against the end of the target path). */
  file: string;
  /** The first write that fails, 1-based: 2 lets one epoch's files be written, then fails. */
  from: number;
  /** The errno code, e.g. ENOSPC for a full disk. */
  code: string;
}

/** runCli options that start the child with disk-fault.cjs preloaded and set to `fault`. */
export function diskFault(fault: DiskFault): { nodeArgs: string[]; env: NodeJS.ProcessEnv } {
  return {
    nodeArgs: ['--require', join(import.meta.dirname, 'disk-fault.cjs')],
    env: { DISK_FAULT: JSON.stringify(fault) },
  };
}
