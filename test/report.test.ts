import pngjs from 'pngjs';
import { describe, expect, it } from 'vitest';
import { classMetrics, errorShade, maxError } from '../src/report/class-metrics.js';
import { confusionHtml } from '../src/report/confusion.js';
import { confidentWrong } from '../src/report/mistakes.js';
import { digitDataUri } from '../src/report/png.js';

describe('report parts', () => {
  it('scores each class by hand: recall, precision and F1 from a 3-class matrix', () => {
    // actual 0: 8 right, 2 said 1; actual 1: 5 right, 1 said 2; actual 2: never predicted right, 4 said 0.
    const m = [
      [8, 2, 0],
      [0, 5, 1],
      [4, 0, 0],
    ];
    const r = classMetrics(m);
    expect(r.map((c) => c.support)).toEqual([10, 6, 4]);
    expect(r[0]).toEqual({
      digit: 0,
      support: 10,
      recall: 0.8,
      precision: 8 / 12,
      f1: (2 * (8 / 12) * 0.8) / (8 / 12 + 0.8),
    });
    expect(r[1]!.recall).toBeCloseTo(5 / 6, 12);
    expect(r[1]!.precision).toBeCloseTo(5 / 7, 12);
    expect(r[2]).toEqual({ digit: 2, support: 4, recall: 0, precision: 0, f1: undefined });
    expect(classMetrics([[0]])[0]).toEqual({ digit: 0, support: 0, recall: 0, precision: undefined, f1: undefined });
  });

  it('shades errors against the largest error, so a good model’s few errors stand out', () => {
    const good = [
      [980, 0],
      [17, 1000],
    ];
    expect(maxError(good)).toBe(17);
    expect(errorShade(17, 17)).toBe(1);
    expect(errorShade(1, 17)).toBeCloseTo(0.15 + 0.85 * (Math.log(2) / Math.log(18)), 12);
    expect(errorShade(0, 17)).toBe(0);
    expect(confusionHtml(good)).toBe(
      '<table class="confusion"><thead><tr><th>actual \\ predicted</th><th>0</th><th>1</th></tr></thead><tbody>' +
        '<tr><th>0</th><td class="hit" style="background:rgba(44,160,44,1.000)">980</td><td></td></tr>' +
        '<tr><th>1</th><td class="err" style="background:rgba(214,39,40,1.000)">17</td><td class="hit" style="background:rgba(44,160,44,0.983)">1000</td></tr></tbody></table>',
    );
  });

  it('takes the most confidently wrong rows of test_probabilities.csv, by the highest wrong-class probability', () => {
    const csv = 'actual,predicted,0,1,2\n0,0,0.9,0.05,0.05\n1,2,0.1,0.2,0.7\n2,0,0.5,0.3,0.2\n2,0,0.95,0.04,0.01\n';
    expect(confidentWrong(csv, 2)).toEqual([
      { index: 3, actual: 2, predicted: 0, confidence: 0.95 },
      { index: 1, actual: 1, predicted: 2, confidence: 0.7 },
    ]);
  });

  it('draws digits as PNG data URIs, ink dark on white', () => {
    const uri = digitDataUri([0, 1, 0.5, 0.03], 2, 2);
    const png = pngjs.PNG.sync.read(Buffer.from(uri.replace(/^data:image\/png;base64,/, ''), 'base64'));
    expect([png.width, png.height]).toEqual([2, 2]);
    expect([...png.data].filter((_, i) => i % 4 === 0)).toEqual([255, 0, 127, 247]); // the grey level, read as red
  });
});
