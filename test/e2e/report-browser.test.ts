/// <reference lib="dom" />
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { reportData } from '../../src/report/build.js';
import { reportHtml } from '../../src/report/html.js';
import { fixtureRun, mnistTest } from '../helpers/report-fixture.js';

const CHROMIUM = '/usr/bin/chromium';

describe.skipIf(!existsSync(CHROMIUM))(
  `the report in headless Chromium (${CHROMIUM}; CI must \`apt-get install -y chromium\`)`,
  () => {
    let root: string;
    let file: string;
    beforeAll(async () => {
      tf.enableProdMode();
      await tf.setBackend('cpu');
      root = await mkdtemp(join(tmpdir(), 'report-'));
      const test = await mnistTest(100);
      await fixtureRun(join(root, 'runs', 'r1'), 16, 1, test, 100);
      await fixtureRun(join(root, 'runs', 'r2'), 32, 2, test, 100);
      await mkdir(join(root, 'runs', 'old'));
      await writeFile(join(root, 'runs', 'old', 'summary.json'), '{"testAccuracy": 0.9}'); // an old run: no curves, no model
      const data = await reportData({
        paths: ['runs'],
        cwd: root,
        title: 'fixture report',
        now: new Date('2026-11-28T12:00:00Z'),
        mistakes: 6,
        maxModelRuns: 10,
        testImages: async () => test,
      });
      file = join(root, 'report.html');
      await writeFile(file, reportHtml(data));
    });

    it('loads offline without console errors, with data in every chart and every digit drawn', async () => {
      const { chromium } = await import('playwright-core');
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
          '--no-first-run',
        ],
      });
      try {
        const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
        const errors: string[] = [];
        const requests: string[] = [];
        page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
        page.on('pageerror', (e) => errors.push(e.message));
        page.on('request', (r) => requests.push(r.url()));
        await page.goto(`file://${file}`, { waitUntil: 'load' });
        expect(errors).toEqual([]);
        expect(requests.filter((u) => !u.startsWith('file:') && !u.startsWith('data:'))).toEqual([]); // self-contained
        const charts = await page.$$eval('svg.chart', (els) =>
          els.map((e) => [e.getAttribute('aria-label'), e.querySelectorAll('path[d^="M"]').length]),
        );
        expect(charts).toEqual([
          ['loss', 2],
          ['accuracy', 2],
          ['val_loss', 2],
          ['val_accuracy', 2],
        ]);
        const digits = await page.$$eval('img.digit', (els) => els.map((e) => (e as HTMLImageElement).naturalWidth));
        expect(digits).toHaveLength(12);
        expect(digits.every((w) => w === 28)).toBe(true);
        expect(await page.$$eval('table.compare tbody tr', (r) => r.length)).toBe(3);
        expect(await page.$$eval('table.confusion', (t) => t.length)).toBe(2);
        await page.click('button.key[data-series="0"]'); // the legend hides a run's lines
        expect(
          await page.$$eval('.chart .series[data-series="0"]', (g) => g.map((e) => (e as SVGElement).style.display)),
        ).toEqual(['none', 'none', 'none', 'none']);
        await page.click('button.key[data-series="0"]');
        await page.screenshot({ path: join(process.env.REPORT_SCREENSHOT_DIR ?? root, 'report.png'), fullPage: true });
      } finally {
        await browser.close();
      }
    });

    it('says why a run has no mistakes instead of failing', async () => {
      const html = await readFile(file, 'utf8');
      expect(html).toContain('no mistakes shown: ENOENT: no such file or directory, open');
    });
  },
);
