/// <reference lib="dom" />
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportData } from '../../src/report/build.js';
import { reportHtml } from '../../src/report/html.js';
import { fixtureRun, mnistTest } from '../helpers/report-fixture.js';

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = process.env.REPORT_SCREENSHOT_DIR ?? '/tmp/report-shots';

describe.skipIf(!existsSync(CHROMIUM))(
  `the report in headless Chromium (${CHROMIUM}; CI must \`apt-get install -y chromium\`)`,
  () => {
    let root: string;
    let file: string;
    let browser: Browser;
    let page: Page;
    const errors: string[] = [];
    const requests: string[] = [];
    beforeAll(async () => {
      tf.enableProdMode();
      await tf.setBackend('cpu');
      root = await mkdtemp(join(tmpdir(), 'report-'));
      const test = await mnistTest(100);
      await fixtureRun(join(root, 'runs', 'r1'), 16, 1, test, 100);
      await fixtureRun(join(root, 'runs', 'r2'), 32, 2, test, 100);
      await fixtureRun(join(root, 'runs', 'one'), 8, 3, test, 100, 1);
      await mkdir(join(root, 'runs', 'old'));
      await writeFile(join(root, 'runs', 'old', 'summary.json'), '{"testAccuracy": 0.9}'); // an old run: no curves, no probabilities
      const data = await reportData({
        paths: ['runs'],
        cwd: root,
        title: 'fixture report',
        now: new Date('2026-11-28T12:00:00Z'),
        mistakes: 6,
        testImages: async () => test,
      });
      file = join(root, 'report.html');
      await writeFile(file, reportHtml(data));
      const { chromium } = await import('playwright-core');
      browser = await chromium.launch({
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
      page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('request', (r) => requests.push(r.url()));
      await page.goto(`file://${file}`, { waitUntil: 'load' });
      await mkdir(SHOTS, { recursive: true });
    }, 60_000);
    afterAll(async () => browser?.close());

    const column = (i: number) =>
      page.$$eval(
        'table.compare tbody tr',
        (rows, i) => rows.map((r) => (r as HTMLTableRowElement).cells[i]!.textContent),
        i,
      );

    it('loads offline without console errors, every chart drawn and every digit shown', async () => {
      expect(errors).toEqual([]);
      expect(requests.filter((u) => u !== `file://${file}` && !u.startsWith('data:'))).toEqual([]); // no request leaves the page
      expect(await page.$$eval('.chart', (els) => els.map((e) => [e.id, e.querySelectorAll('canvas').length]))).toEqual(
        [
          ['run-2-loss', 1],
          ['run-2-accuracy', 1],
          ['run-3-loss', 1],
          ['run-3-accuracy', 1],
          ['run-4-loss', 1],
          ['run-4-accuracy', 1],
        ],
      );
      expect(
        await page.$$eval('#run-2-loss .u-legend .u-series', (s) =>
          s.map((e) => e.textContent?.replace(/[^a-z_]/g, '')),
        ),
      ).toEqual(['epoch', 'loss', 'val_loss']);
      const digits = await page.$$eval('img.digit', (els) => els.map((e) => (e as HTMLImageElement).naturalWidth));
      expect(digits).toHaveLength(18);
      expect(digits.every((w) => w === 28)).toBe(true);
      expect(await page.$$eval('table.classes', (t) => t.length)).toBe(3);
      await page.screenshot({ path: join(SHOTS, 'report-full.png'), fullPage: true });
    });

    it('sorts by a clicked header, and reverses on a second click', async () => {
      const acc = 'table.compare th:nth-child(3)';
      await page.click(acc);
      const up = await column(2);
      await page.click(acc);
      const down = await column(2);
      expect(down).toEqual(
        [...up]
          .reverse()
          .filter((v) => v !== '–')
          .concat(up.filter((v) => v === '–')),
      );
      expect(up.slice(0, -1).map((v) => Number.parseFloat(v!))).toEqual(
        up
          .slice(0, -1)
          .map((v) => Number.parseFloat(v!))
          .sort((a, b) => a - b),
      );
    });

    it('marks the best completed run and links each row to its section', async () => {
      const rows = await page.$$eval('table.compare tbody tr', (rs) =>
        rs.map(
          (r) =>
            [
              (r as HTMLTableRowElement).cells[1]!.textContent,
              Number((r as HTMLTableRowElement).cells[2]!.dataset.v),
              r.classList.contains('best-row'),
            ] as const,
        ),
      );
      const top = Math.max(...rows.filter((r) => r[0] === 'completed').map((r) => r[1]));
      expect(rows.filter((r) => r[2]).map((r) => r[1])).toEqual([top]);
      expect(await page.$$eval('tr.best-row .best', (b) => b.map((e) => e.textContent))).toEqual(['★ best']);
      await page.click('table.compare a[href="#run-2"]');
      expect(await page.evaluate(() => location.hash)).toBe('#run-2');
      const y = await page.$eval('#run-2', (e) => e.getBoundingClientRect().top);
      expect(Math.abs(y)).toBeLessThan(5);
    });

    it('shows values on hover, and draws a one-epoch run as a visible point', async () => {
      const one = await page.$('#run-2-loss .u-over'); // run-2 is `one`: labels sort old, one, r1, r2
      await one!.scrollIntoViewIfNeeded();
      const box = (await one!.boundingBox())!;
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      const values = await page.$$eval('#run-2-loss .u-legend .u-value', (v) => v.map((e) => e.textContent));
      expect(values[1]).toMatch(/^\d\.\d{4}$/);
      await page.screenshot({
        path: join(SHOTS, 'chart-one-epoch.png'),
        clip: { x: box.x - 60, y: box.y - 50, width: box.width + 80, height: box.height + 120 },
      });
      const inked = await page.$eval('#run-2-loss canvas', (c) => {
        const d = (c as HTMLCanvasElement)
          .getContext('2d')!
          .getImageData(0, 0, (c as HTMLCanvasElement).width, (c as HTMLCanvasElement).height).data;
        let n = 0;
        for (let i = 0; i < d.length; i += 4) if (d[i]! > 150 && d[i + 1]! < 90 && d[i + 2]! < 90) n++; // the red val_loss marker
        return n;
      });
      expect(inked).toBeGreaterThan(10);
    });

    it('opens the full config, and says why an old run has no mistakes', async () => {
      const details = '#run-2 details.config';
      expect(await page.$eval(details, (d) => (d as HTMLDetailsElement).open)).toBe(false);
      await page.click(`${details} summary`);
      expect(await page.$eval(details, (d) => (d as HTMLDetailsElement).open)).toBe(true);
      expect(await page.$eval(`${details} pre`, (p) => p.textContent)).toContain('units: 8');
      expect(await page.$eval('#run-2 .tags', (p) => p.textContent)).toBe('fixtureu8');
      const html = await readFile(file, 'utf8');
      expect(html).toContain('no mistakes shown: this run has no test_probabilities.csv');
    });
  },
);
