import { describe, expect, it } from 'vitest';
import { Monitor, type MonitorSpec } from '../src/train/callbacks/monitor.js';

type Case = [title: string, spec: MonitorSpec, values: number[], improved: boolean[], best: number, bestEpoch: number];

const spec = (monitor: string, mode: MonitorSpec['mode'], minDelta = 0): MonitorSpec => ({ monitor, mode, minDelta });

describe('Monitor', () => {
  it.each<Case>([
    [
      'min: a lower value improves, an equal one does not',
      spec('loss', 'min'),
      [1, 0.5, 0.5, 0.7, 0.4],
      [true, true, false, false, true],
      0.4,
      5,
    ],
    [
      'max: a higher value improves, an equal one does not',
      spec('loss', 'max'),
      [1, 2, 2, 1.5, 3],
      [true, true, false, false, true],
      3,
      5,
    ],
    ['auto maximizes val_accuracy', spec('val_accuracy', 'auto'), [0.5, 0.9, 0.8], [true, true, false], 0.9, 2],
    ['auto minimizes val_loss', spec('val_loss', 'auto'), [0.5, 0.9, 0.3], [true, false, true], 0.3, 3],
    [
      'min with minDelta: a fall of minDelta or less does not count',
      spec('val_loss', 'min', 0.25),
      [1, 0.8, 0.5, 0.2],
      [true, false, true, true],
      0.2,
      4,
    ],
    [
      'max with minDelta: a rise of minDelta or less does not count',
      spec('val_accuracy', 'max', 0.25),
      [0, 0.25, 0.5, 0.5],
      [true, false, true, false],
      0.5,
      3,
    ],
    ['NaN never improves', spec('loss', 'auto'), [Number.NaN, 1, Number.NaN], [false, true, false], 1, 2],
  ])('%s', (_title, s, values, improved, best, bestEpoch) => {
    const monitor = new Monitor(s);
    expect(values.map((v, i) => monitor.update(v, i + 1))).toEqual(improved);
    expect({ best: monitor.best, bestEpoch: monitor.bestEpoch }).toEqual({ best, bestEpoch });
  });

  it('knows no best before the first value: -Infinity when maximizing, Infinity when minimizing', () => {
    expect([new Monitor(spec('accuracy', 'auto')).best, new Monitor(spec('loss', 'auto')).best]).toEqual([
      -Infinity,
      Infinity,
    ]);
  });

  it("reads its metric from an epoch's logs, undefined when the epoch lacks it", () => {
    const logs = { epoch: 1, metrics: { loss: 0.3 }, seconds: 1, samplesPerSecond: 1 };
    expect([new Monitor(spec('loss', 'auto')).read(logs), new Monitor(spec('val_loss', 'auto')).read(logs)]).toEqual([
      0.3,
      undefined,
    ]);
  });

  it('improves() asks without recording', () => {
    const monitor = new Monitor(spec('loss', 'min'));
    expect([monitor.improves(1), monitor.best]).toEqual([true, Infinity]);
  });
});
