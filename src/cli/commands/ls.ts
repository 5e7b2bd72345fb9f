import type { Argv } from 'yargs';
import type { RunListing } from '../../run/list.js';
import type { CliEnv } from '../env.js';
import { emit, withJson } from './options.js';

/** `2026-12-02 03:25 UTC`: a start time as a person reads it. */
const when = (iso?: string) => (iso ? `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC` : '-');

function table(runs: RunListing[]): string {
  const rows = runs.map((r) => [
    when(r.start),
    r.name,
    r.status,
    r.testAccuracy === undefined ? '-' : r.testAccuracy.toFixed(4),
    r.backend ?? '-',
    r.tags.join(',') || '-',
    r.dir,
  ]);
  const head = ['when', 'name', 'status', 'test_acc', 'backend', 'tags', 'folder'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [head, ...rows]
    .map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  '))
    .join('\n');
}

/** Reads run files only (never tfjs): one line per run, oldest first. */
export function lsCommand(env: CliEnv) {
  return {
    command: 'ls [root]',
    describe: 'list runs, oldest first: when, name, status, test accuracy, backend, tags, folder',
    builder: (y: Argv) =>
      withJson(
        y.positional('root', {
          type: 'string',
          default: 'runs',
          describe: 'a folder of runs, a sweep folder (sweeps/NAME) or sweeps/',
        }),
      ),
    handler: async (a: { root: string; json: boolean }) => {
      const { listRuns } = await import('../../run/list.js');
      const runs = await listRuns(a.root, env.cwd);
      emit(env.stdout, a.json, runs, () => (runs.length ? table(runs) : `no runs in ${a.root}`));
    },
  };
}
