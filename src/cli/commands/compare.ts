import type { Argv } from 'yargs';
import type { CliEnv } from '../env.js';

interface CompareArgs {
  paths?: string[];
  sort?: string;
  filter?: string[];
  format: string;
  collapse: boolean;
}

/** Reads run files only: never loads tfjs, so it answers at once even over hundreds of runs. */
export function compareCommand(env: CliEnv) {
  return {
    command: 'compare [paths..]',
    describe: 'one table of runs: the config keys that differ, and test accuracy, loss, epochs, time',
    builder: (y: Argv) =>
      y
        .positional('paths', {
          type: 'string',
          array: true,
          describe: 'run folders, sweep folders or folders of runs (default: runs)',
        })
        .option('sort', {
          type: 'string',
          describe: 'sort by a column: KEY (ascending) or KEY:desc, e.g. test_accuracy:desc',
        })
        .option('filter', {
          type: 'string',
          array: true,
          describe: 'keep runs where KEY=VALUE (repeatable), e.g. optimizer.type=adam',
        })
        .option('format', {
          choices: ['table', 'markdown', 'csv', 'json'] as const,
          default: 'table' as const,
          describe: 'output format',
        })
        .option('collapse', {
          type: 'boolean',
          default: true,
          describe: 'fold runs that differ only by seed into mean ± std (n); --no-collapse to list each',
        }),
    handler: async (a: CompareArgs) => {
      const { compareRuns } = await import('../../compare/compare.js');
      const { formatTable } = await import('../../compare/format.js');
      const paths = a.paths?.length ? a.paths : ['runs'];
      const table = await compareRuns({ paths, cwd: env.cwd, filters: a.filter, sort: a.sort, collapse: a.collapse });
      env.stdout.write(`${formatTable(table, a.format as never)}\n`);
    },
  };
}
