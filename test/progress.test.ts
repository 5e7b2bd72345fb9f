import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { TERMINAL_LEVEL_ENV } from '../src/log.js';
import { formatEta, progressCallback, progressLine, runEta } from '../src/train/callbacks/progress.js';

/**
 * A captured stream that claims to be (or not be) a terminal, and a tiny terminal model of what it
 * shows: `\r` and CSI n G move to a column, CSI 0K / 2K clear, `\n` starts a line; other escapes draw nothing.
 */
function stream(isTTY: boolean, columns = 100) {
  const s = Object.assign(new PassThrough(), { isTTY, columns });
  let text = '';
  s.on('data', (d: Buffer) => (text += d.toString()));
  const screen = () => {
    const lines: string[] = [''];
    let col = 0;
    // biome-ignore lint/suspicious/noControlCharactersInRegex: terminal escapes are the point
    for (const m of text.matchAll(/\x1b\[(\d*)([A-Za-z])|\x1b[78]|\x1b\[\?\d+[hl]|\r|\n|[^\x1b\r\n]/gu)) {
      const [tok, n, cmd] = m;
      const row = lines.length - 1;
      if (tok === '\n') {
        lines.push('');
        col = 0;
      } else if (tok === '\r') col = 0;
      else if (cmd === 'G') col = Math.max(0, Number(n || 1) - 1);
      else if (cmd === 'K') lines[row] = n === '2' ? '' : lines[row]!.slice(0, col);
      else if (!tok.startsWith('\x1b')) {
        lines[row] = lines[row]!.padEnd(col).slice(0, col) + tok + lines[row]!.slice(col + 1);
        col++;
      }
    }
    return lines.filter((l, i) => l !== '' || i < lines.length - 1);
  };
  return { s: s as unknown as NodeJS.WriteStream, text: () => text, screen };
}

async function drive(cb: ReturnType<typeof progressCallback>, batches: number, epochs = 2, after?: () => void) {
  await cb.onTrainBegin?.({ epochs, batches, samples: batches * 10, batchSize: 10 });
  for (let e = 1; e <= epochs; e++) {
    await cb.onEpochBegin?.(e);
    for (let b = 1; b <= batches; b++)
      await cb.onBatchEnd?.({ batch: b, batches, seen: b * 10, loss: 1 / b, metrics: { loss: 1 / b, accuracy: 0.5 } });
    await cb.onEpochEnd?.({ epoch: e, metrics: { loss: 0.1 }, seconds: 1, samplesPerSecond: 10 });
    after?.();
  }
}

const state = { epoch: 3, epochs: 10, batch: 45, batches: 100, eta: 754, loss: 0.31234, acc: 0.90123 };

describe('progress line', () => {
  it('at 160 columns: the full bar graphic (40 wide), percentage, run ETA, loss and accuracy', () => {
    const line = progressLine(state, 160);
    expect(line).toBe(`epoch 3/10 [${'█'.repeat(18)}${'░'.repeat(22)}] 45% | ETA 12m 34s | loss 0.3123 | acc 0.9012`);
  });

  it('at 100 columns: a bar that fits in one line shorter than the terminal', () => {
    const line = progressLine(state, 100);
    expect(line.length).toBeLessThan(100);
    expect(line).toMatch(/^epoch 3\/10 \[█+░+\] 45% \| ETA 12m 34s \| loss 0\.3123 \| acc 0\.9012$/);
  });

  it('at 60 columns: the bar graphic goes first; epoch, ETA, loss and accuracy stay', () => {
    const line = progressLine(state, 60);
    expect(line).toBe('epoch 3/10 45% | ETA 12m 34s | loss 0.3123 | acc 0.9012');
    expect(line.length).toBeLessThan(60);
  });

  it('narrower still: the percentage, then the labels go; never wider than the terminal', () => {
    expect(progressLine(state, 52)).toBe('epoch 3/10 | ETA 12m 34s | loss 0.3123 | acc 0.9012');
    for (const cols of [20, 30, 40, 45]) expect(progressLine(state, cols).length).toBeLessThan(cols);
    expect(progressLine(state, 45)).toBe('epoch 3/10 12m 34s 0.3123 0.9012');
  });

  it('ETA is for the run: this epoch’s remainder plus the epochs left at their mean', () => {
    // 40 of 100 batches in 20 s: 30 s left in epoch 3; 7 epochs more at the mean of 50 and 60 s.
    expect(runEta({ epoch: 3, epochs: 10, batch: 40, batches: 100, elapsed: 20, finished: [50, 60] })).toBe(
      30 + 7 * 55,
    );
    // Before any epoch has finished, the rest go at this one's projected pace (50 s).
    expect(runEta({ epoch: 1, epochs: 3, batch: 10, batches: 100, elapsed: 5, finished: [] })).toBe(45 + 2 * 50);
    expect(formatEta(undefined)).toBe('-');
    expect(formatEta(3725)).toBe('1h 02m');
  });
});

describe('progress', () => {
  afterEach(() => {
    delete process.env[TERMINAL_LEVEL_ENV];
  });

  it('on a terminal: one line per epoch, the bar replaced by the epoch’s line (no 100 % bar left)', async () => {
    const out = stream(true, 100);
    let t = 0;
    // What log-epochs writes after the bar is gone: the epoch's one summary line.
    let n = 0;
    const log = () => out.s.write(`epoch ${++n}/2 loss=0.1\n`);
    await drive(
      progressCallback(out.s, 10, () => (t += 1000)),
      5,
      2,
      log,
    );
    expect(out.text()).toMatch(/epoch 1\/2 \[[█░]+\] 20% \| ETA \S+ \| loss 1\.0000 \| acc 0\.5000/);
    expect(out.text()).toContain('100%'); // drawn, then cleared
    expect(out.screen()).toEqual(['epoch 1/2 loss=0.1', 'epoch 2/2 loss=0.1']);
  });

  it('on a terminal the ETA counts the epochs still to come', async () => {
    const out = stream(true, 160);
    let t = 0;
    const cb = progressCallback(out.s, 10, () => (t += 1000)); // a second between batches
    await cb.onTrainBegin!({ epochs: 3, batches: 4, samples: 40, batchSize: 10 });
    await cb.onEpochBegin!(1);
    await cb.onBatchEnd!({ batch: 1, batches: 4, seen: 10, loss: 1, metrics: { accuracy: 0.5 } });
    // 1 batch in 1 s: 3 s left in epoch 1, then 2 epochs of 4 s.
    expect(out.text()).toContain('25% | ETA 11s |');
  });

  it('writes plain periodic lines when not on a terminal', async () => {
    const out = stream(false);
    let t = 0;
    await drive(
      progressCallback(out.s, 10, () => (t += 4000)),
      6,
      1,
    ); // 4 s per batch, a line every 10 s
    expect(out.text()).toBe('epoch 1/1 batch 3/6 loss 0.3333 acc 0.5000\nepoch 1/1 batch 6/6 loss 0.1667 acc 0.5000\n');
  });

  it('writes nothing under --quiet, on a terminal or not', async () => {
    process.env[TERMINAL_LEVEL_ENV] = 'warn';
    for (const tty of [true, false]) {
      const out = stream(tty);
      let t = 0;
      await drive(
        progressCallback(out.s, 1, () => (t += 4000)),
        6,
      );
      expect(out.text()).toBe('');
    }
  });
});
