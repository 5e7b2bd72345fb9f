import { resolve } from 'node:path';
import type { Argv } from 'yargs';
import type { CliEnv } from '../env.js';

interface ReportArgs {
  paths?: string[];
  output: string;
  title: string;
  mistakes: number;
}

export function reportCommand(env: CliEnv) {
  return {
    command: 'report [paths..]',
    describe:
      'one self-contained HTML page: sortable results, learning curves, confusion matrices, confidently wrong digits',
    builder: (y: Argv) =>
      y
        .positional('paths', {
          type: 'string',
          array: true,
          describe: 'run folders, sweep folders or folders of runs (default: runs)',
        })
        .option('output', { alias: 'o', type: 'string', default: 'report.html', describe: 'the HTML file to write' })
        .option('title', { type: 'string', default: 'mnist-run report', describe: 'page title' })
        .option('mistakes', {
          type: 'number',
          default: 12,
          describe: 'most confidently wrong test digits shown per run',
        }),
    // Reads run files only (test_probabilities.csv for the mistakes): no model, no tfjs.
    handler: async (a: ReportArgs) => {
      const { reportData } = await import('../../report/build.js');
      const { reportHtml } = await import('../../report/html.js');
      const { writeFileAtomic } = await import('../../util/fs.js');
      const paths = a.paths?.length ? a.paths : ['runs'];
      const data = await reportData({ paths, cwd: env.cwd, title: a.title, now: env.now(), mistakes: a.mistakes });
      const file = resolve(env.cwd, a.output);
      await writeFileAtomic(file, reportHtml(data));
      env.stdout.write(`${file}\n`);
    },
  };
}
