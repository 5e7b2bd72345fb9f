import { mkdtemp, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compareRuns } from '../src/compare/compare.js';
import { reportData } from '../src/report/build.js';
import { reportHtml } from '../src/report/html.js';
import { cfg, fakeRun } from './helpers/fake-run.js';

let root: string;
const gonePid = 2 ** 22 + 4321; // above Linux's pid_max: no process has it
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'run-status-'));
  const meta = (dir: string, m: object) => writeFile(join(root, dir, 'meta.json'), JSON.stringify(m));
  await fakeRun(join(root, 'live'), cfg('relu', 1), undefined, { skip: ['summary.json'] });
  await meta('live', { status: 'running', pid: process.pid, host: hostname() });
  await fakeRun(join(root, 'dead'), cfg('relu', 2), undefined, { skip: ['summary.json'] });
  await meta('dead', { status: 'running', pid: gonePid, host: hostname() });
  await fakeRun(join(root, 'nan'), cfg('relu', 3), undefined, { skip: ['summary.json'] });
  await meta('nan', { status: 'diverged', error: 'training diverged at epoch 2, batch 7 of 10' });
});

describe('how a run ended, wherever runs are listed', () => {
  it('compare shows a run whose process is gone as crashed, a live one as running, a diverged one as diverged', async () => {
    const table = await compareRuns({ paths: [root], cwd: root, collapse: false });
    const status = Object.fromEntries(table.rows.map((r) => [String(r[0]), r[table.columns.indexOf('status')]]));
    expect(status).toEqual({ live: 'running', dead: 'crashed', nan: 'diverged' });
  });

  it('the report says why each unfinished run stopped', async () => {
    const data = await reportData({
      paths: [root],
      cwd: root,
      title: 't',
      now: new Date(0),
      mistakes: 0,
    });
    const html = reportHtml(data);
    expect(html).toContain('<p class="error">diverged: training diverged at epoch 2, batch 7 of 10</p>');
    expect(html).toMatch(
      new RegExp(
        `<p class="error">crashed: its process \\(${gonePid} on [^)]+\\) is gone; \`mnist-run resume [^\`]+dead\` continues it</p>`,
      ),
    );
  });
});
