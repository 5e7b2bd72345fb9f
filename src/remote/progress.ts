/**
 * What a queued sweep shows while it waits: how many runs are queued, running (and where, at which
 * epoch), done and failed, with an overall ETA. On a terminal one line redrawn in place; in a log or
 * a pipe a line each time the counts change. Pure but for the stream it is given.
 */
import { formatDuration } from '../sweep/estimate.js';

export interface ActiveRun {
  id: string;
  worker?: string;
  epoch?: number;
  epochs?: number;
}

export interface Counts {
  queued: number;
  active: ActiveRun[];
  done: number;
  failed: number;
}

/**
 * Seconds until every run is done: the mean time of the runs finished so far, for what is left,
 * spread over the runs going at once now. Undefined until one has finished.
 */
export function etaSeconds(c: Counts, trainSeconds: number[]): number | undefined {
  if (!trainSeconds.length) return undefined;
  const mean = trainSeconds.reduce((a, b) => a + b, 0) / trainSeconds.length;
  const lanes = Math.max(1, c.active.length);
  const left = c.active.reduce((s, a) => s + (a.epochs && a.epoch !== undefined ? 1 - a.epoch / a.epochs : 1), 0);
  return (Math.ceil(c.queued / lanes) + left / lanes) * mean;
}

export function statusLine(c: Counts, eta: number | undefined): string {
  const where = c.active.map((a) => `${a.worker ?? '?'}${a.epochs ? ` ${a.epoch ?? 0}/${a.epochs}` : ''}`).join(', ');
  const parts = [
    `${c.queued} queued`,
    `${c.active.length} running${where ? ` (${where})` : ''}`,
    `${c.done} done`,
    `${c.failed} failed`,
  ];
  const left = c.queued + c.active.length;
  if (left) parts.push(eta === undefined ? 'ETA after the first run' : `ETA ${formatDuration(eta)}`);
  return `sweep: ${parts.join(' · ')}`;
}

/** Draws status lines on `out`; `print` writes a lasting line above the status line. */
export function statusDisplay(out: NodeJS.WritableStream & { isTTY?: boolean; columns?: number }) {
  let shown = '';
  let lastCounts = '';
  const clear = () => {
    if (out.isTTY && shown) out.write('\r\x1b[K');
  };
  return {
    show: (line: string, counts: string) => {
      if (out.isTTY) {
        const width = (out.columns ?? 100) - 1;
        const fit = line.length > width ? `${line.slice(0, width - 1)}…` : line;
        if (fit === shown) return;
        clear();
        out.write(fit);
        shown = fit;
      } else if (counts !== lastCounts) {
        out.write(`${line}\n`);
      }
      lastCounts = counts;
    },
    print: (line: string) => {
      clear();
      out.write(`${line}\n`);
      if (out.isTTY && shown) out.write(shown);
    },
    end: () => {
      clear();
      shown = '';
    },
  };
}
