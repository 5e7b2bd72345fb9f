import type { Argv } from 'yargs';
import type { CliEnv } from '../env.js';

interface CompareArgs {
  paths?: string[];
  sort?: string;
  filter?: string[];
  columns?: string[];
  format: string;
  collapse: boolean;
}

/** Reads run files only: never loads tfjs, so it answers at once even over hundreds of runs. */
export function compareCommand(env: CliEnv) {
  return {
    command: 'compare [paths..]',
    describe:
      'one table of runs: test accuracy, loss, best epoch and time, then the config keys that differ (fitted to the terminal)',
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
          describe:
            'keep runs where KEY OP VALUE holds (repeatable; all must hold). OP: = != > >= < <= (numbers compare as numbers) or ~ (contains). KEY: a config key, a result, run, status, optimizer, model, tags; tag=NAME / tag!=NAME: has / lacks that tag. e.g. test_accuracy>0.97, optimizer.type!=sgd',
        })
        .option('columns', {
          alias: 'keys',
          type: 'string',
          array: true,
          coerce: (v: string[]) =>
            v
              .flatMap((s) => s.split(','))
              .map((s) => s.trim())
              .filter(Boolean),
          describe:
            'the columns a table shows, in order (comma-separated or repeated): results, run, status, dir, notes, tags, optimizer, model or any config key, e.g. --columns run,test_accuracy,optimizer.learningRate',
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
      const { terminalWidth } = await import('../../compare/fit.js');
      const table = await compareRuns({
        paths,
        cwd: env.cwd,
        filters: a.filter,
        sort: a.sort,
        collapse: a.collapse,
        columns: a.columns,
      });
      const width = terminalWidth(process.env.COLUMNS, env.stdout); // the edge: the environment is read here
      env.stdout.write(`${formatTable(table, a.format as never, { width })}\n`);
    },
  };
}
