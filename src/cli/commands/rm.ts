import { createInterface } from 'node:readline/promises';
import type { Argv } from 'yargs';
import { UsageError } from '../../errors.js';
import type { CliEnv } from '../env.js';

/** Asks on the terminal; anything but y/yes is a no. */
async function confirm(question: string, env: CliEnv): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: env.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

/** Deletes whole run folders, all or none: every folder is checked (and locked) before the first is removed. */
export function rmCommand(env: CliEnv) {
  return {
    command: 'rm <runs..>',
    describe: 'delete run folders, after asking (all or none; never a running or locked run)',
    builder: (y: Argv) =>
      y
        .positional('runs', { type: 'string', array: true, describe: 'run folders (runs/…)' })
        .option('yes', { alias: 'y', type: 'boolean', default: false, describe: 'delete without asking' }),
    handler: async (a: { runs: string[]; yes: boolean }) => {
      const { prepareRemoval } = await import('../../run/list.js');
      const interactive = Boolean(process.stdin.isTTY);
      if (!a.yes && !interactive)
        throw new UsageError('rm: not on a terminal, so it cannot ask; pass --yes to delete without asking');
      const removal = await prepareRemoval(a.runs, env.cwd);
      const what = `${removal.dirs.length} run${removal.dirs.length === 1 ? '' : 's'} (${removal.dirs.join(', ')})`;
      if (!a.yes && !(await confirm(`delete ${what}? [y/N] `, env))) {
        removal.cancel();
        env.stderr.write('nothing deleted\n');
        return;
      }
      await removal.remove();
      env.stdout.write(`deleted ${what}\n`);
    },
  };
}
