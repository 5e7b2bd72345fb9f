import cliProgress from 'cli-progress';
import type { Callback } from './types.js';

const fmt = (v: number | undefined) => (v === undefined ? '-' : v.toFixed(4));

/**
 * A cli-progress bar per epoch with ETA, loss and accuracy when `stream` is a TTY; otherwise a plain
 * line every `everySeconds` (and at each epoch's end), so CI logs stay readable.
 */
export function progressCallback(stream: NodeJS.WriteStream, everySeconds = 10, now = () => Date.now()): Callback {
  let epochs = 0;
  let bar: cliProgress.SingleBar | undefined;
  let lastLine = 0;
  let current = 0;
  return {
    onTrainBegin: (info) => {
      epochs = info.epochs;
    },
    onEpochBegin: (epoch) => {
      current = epoch;
      lastLine = now();
      if (!stream.isTTY) return;
      bar = new cliProgress.SingleBar(
        {
          stream,
          format: `epoch ${epoch}/${epochs} [{bar}] {percentage}% | ETA {eta_formatted} | loss {loss} | acc {acc}`,
          hideCursor: true,
          clearOnComplete: false,
          etaBuffer: 50,
        },
        cliProgress.Presets.shades_classic,
      );
    },
    onBatchEnd: (l) => {
      if (bar) {
        if (l.batch === 1) bar.start(l.batches, 0, { loss: '-', acc: '-' });
        bar.update(l.batch, { loss: fmt(l.loss), acc: fmt(l.metrics.accuracy) });
      } else {
        const t = now();
        if (t - lastLine < everySeconds * 1000) return;
        lastLine = t;
        stream.write(
          `epoch ${current}/${epochs} batch ${l.batch}/${l.batches} loss ${fmt(l.loss)} acc ${fmt(l.metrics.accuracy)}\n`,
        );
      }
    },
    onEpochEnd: () => {
      bar?.stop();
      bar = undefined;
    },
  };
}
