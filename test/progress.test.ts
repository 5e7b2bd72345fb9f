import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { progressCallback } from '../src/train/callbacks/progress.js';

/** A captured stream that claims to be (or not be) a terminal. */
function stream(isTTY: boolean) {
  const s = Object.assign(new PassThrough(), {
    isTTY,
    columns: 100,
    cursorTo: () => true,
    clearLine: () => true,
    moveCursor: () => true,
  });
  let text = '';
  s.on('data', (d: Buffer) => (text += d.toString()));
  return { s: s as unknown as NodeJS.WriteStream, text: () => text };
}

async function drive(cb: ReturnType<typeof progressCallback>, batches: number) {
  await cb.onTrainBegin!({ epochs: 2, batches, samples: batches * 10, batchSize: 10 });
  await cb.onEpochBegin!(1);
  for (let b = 1; b <= batches; b++)
    await cb.onBatchEnd!({ batch: b, batches, seen: b * 10, loss: 1 / b, metrics: { loss: 1 / b, accuracy: 0.5 } });
  await cb.onEpochEnd!({ epoch: 1, metrics: { loss: 0.1 }, seconds: 1, samplesPerSecond: 10 });
}

describe('progress', () => {
  it('draws a bar with ETA, loss and accuracy on a terminal', async () => {
    const out = stream(true);
    await drive(progressCallback(out.s), 5);
    expect(out.text()).toMatch(/epoch 1\/2 \[.*\] 100% \| ETA \S+ \| loss 0\.2000 \| acc 0\.5000/);
  });

  it('writes plain periodic lines when not on a terminal', async () => {
    const out = stream(false);
    let t = 0;
    await drive(
      progressCallback(out.s, 10, () => (t += 4000)),
      6,
    ); // 4 s per batch, a line every 10 s
    expect(out.text()).toBe('epoch 1/2 batch 3/6 loss 0.3333 acc 0.5000\nepoch 1/2 batch 6/6 loss 0.1667 acc 0.5000\n');
  });
});
