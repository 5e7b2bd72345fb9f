import pngjs from 'pngjs';
import { describe, expect, it } from 'vitest';
import { confusionHtml } from '../src/report/html.js';
import { wrongIndices } from '../src/report/mistakes.js';
import { digitDataUri } from '../src/report/png.js';
import { lineChart, niceTicks } from '../src/report/svg.js';

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
