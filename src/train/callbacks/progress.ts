import cliProgress from 'cli-progress';
import { terminalLevel } from '../../log.js';
import type { Callback } from './types.js';

const fmt = (v: number | undefined) => (v === undefined ? '-' : v.toFixed(4));

/** `1h 02m`, `4m 05s`, `12s`, `-` before anything is timed. */
export function formatEta(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '-';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

export interface ProgressState {
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  /** Seconds left in the whole run, not only this epoch. */
  eta?: number;
  loss?: number;
  acc?: number;
}

/** The widest and narrowest bar graphic drawn; narrower than that, none is. */
const BAR_MAX = 40;
const BAR_MIN = 10;

/**
 * The bar's line, fitted to `columns` (one fewer, so no terminal wraps it): the bar graphic shrinks
 * first and is dropped below BAR_MIN; epoch, ETA, loss and accuracy stay, the percentage goes last.
 */
export function progressLine(p: ProgressState, columns: number): string {
  const fraction = p.batches ? Math.min(1, p.batch / p.batches) : 0;
  const percent = `${Math.floor(fraction * 100)}%`;
  const head = `epoch ${p.epoch}/${p.epochs}`;
  const tail = `ETA ${formatEta(p.eta)} | loss ${fmt(p.loss)} | acc ${fmt(p.acc)}`;
  const width = columns - 1;
  const room = width - `${head} [] ${percent} | ${tail}`.length;
  if (room >= BAR_MIN) {
    const size = Math.min(BAR_MAX, room);
    const full = Math.round(fraction * size);
    return `${head} [${'█'.repeat(full)}${'░'.repeat(size - full)}] ${percent} | ${tail}`;
  }
  const noBar = `${head} ${percent} | ${tail}`;
  if (noBar.length <= width) return noBar;
  const short = `${head} | ETA ${formatEta(p.eta)} | loss ${fmt(p.loss)} | acc ${fmt(p.acc)}`;
  if (short.length <= width) return short;
  return `${head} ${formatEta(p.eta)} ${fmt(p.loss)} ${fmt(p.acc)}`.slice(0, Math.max(0, width));
}

/**
 * Seconds left in the run: this epoch's remainder at its pace so far, plus the epochs still to come
 * at the mean of the finished ones (this one's projected length before any has finished).
 */
export function runEta(o: {
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  elapsed: number;
  finished: number[];
}): number | undefined {
  if (o.batch < 1 || o.batches < 1) return undefined;
  const perBatch = o.elapsed / o.batch;
  const thisEpoch = perBatch * o.batches;
  const mean = o.finished.length ? o.finished.reduce((a, b) => a + b, 0) / o.finished.length : thisEpoch;
  return perBatch * (o.batches - o.batch) + Math.max(0, o.epochs - o.epoch) * mean;
}

/**
 * On a TTY, one line per epoch: the bar (run-level ETA, loss, accuracy) while the epoch trains, cleared
 * when it ends so the epoch's log line takes its place. Off a TTY, a plain line every `everySeconds`.
 * Nothing under --quiet: the terminal then shows only warnings and errors.
 */
export function progressCallback(stream: NodeJS.WriteStream, everySeconds = 10, now = () => Date.now()): Callback {
  if (terminalLevel() === 'warn') return {};
  let epochs = 0;
  let bar: cliProgress.SingleBar | undefined;
  let lastLine = 0;
  let current = 0;
  let began = 0;
  const finished: number[] = [];
  return {
    onTrainBegin: (info) => {
      epochs = info.epochs;
      for (const e of info.resumed ?? []) finished.push(e.seconds);
    },
    onEpochBegin: (epoch) => {
      current = epoch;
      began = now();
      lastLine = began;
      if (!stream.isTTY) return;
      bar = new cliProgress.SingleBar({
        stream,
        format: (_o, _p, payload: { line: string }) => payload.line,
        hideCursor: true,
        clearOnComplete: true,
        gracefulExit: false,
      });
    },
    onBatchEnd: (l) => {
      if (bar) {
        const eta = runEta({
          epoch: current,
          epochs,
          batch: l.batch,
          batches: l.batches,
          elapsed: (now() - began) / 1000,
          finished,
        });
        const state = { epoch: current, epochs, batch: l.batch, batches: l.batches, eta, loss: l.loss };
        const line = progressLine({ ...state, acc: l.metrics.accuracy }, stream.columns || 80);
        if (l.batch === 1) bar.start(l.batches, 0, { line });
        bar.update(l.batch, { line });
      } else {
        const t = now();
        if (t - lastLine < everySeconds * 1000) return;
        lastLine = t;
        stream.write(
          `epoch ${current}/${epochs} batch ${l.batch}/${l.batches} loss ${fmt(l.loss)} acc ${fmt(l.metrics.accuracy)}\n`,
        );
      }
    },
    onEpochEnd: (l) => {
      finished.push(l.seconds);
      bar?.stop();
      bar = undefined;
    },
  };
}
