import { RESULT_COLUMNS } from './table.js';

/** The width a table gets: env COLUMNS, else the terminal's when stdout is one, else 100. */
export function terminalWidth(columnsEnv: string | undefined, stdout: { isTTY?: boolean; columns?: number }): number {
  const fromEnv = Number(columnsEnv);
  if (columnsEnv && Number.isInteger(fromEnv) && fromEnv > 0) return fromEnv;
  if (stdout.isTTY && stdout.columns && stdout.columns > 0) return stdout.columns;
  return 100;
}

export const clip = (s: string, w: number) => (s.length <= w ? s : w <= 1 ? '…'.slice(0, w) : `${s.slice(0, w - 1)}…`);

const KEEP = new Set<string>(['run', 'status', ...RESULT_COLUMNS]);
const GAP = 2;
const MIN_CELL = 8;
const LABEL = 24;

export interface Fitted {
  /** Indices into the given columns that are printed, each with its width. */
  keep: { i: number; width: number }[];
  dropped: string[];
  clipped: boolean;
}

/**
 * Fits columns of natural `widths` into `limit` characters: config columns go first, from the right
 * (the rightmost is cut short with … when that is enough), then the run label is cut; results and
 * status are never dropped, and a line still too long is cut by the caller.
 */
export function fitColumns(names: string[], widths: number[], limit: number): Fitted {
  const keep = names.map((_, i) => ({ i, width: widths[i]! }));
  const total = () => keep.reduce((a, c) => a + c.width, 0) + GAP * Math.max(0, keep.length - 1);
  const dropped: string[] = [];
  let clipped = false;
  // A sweep's labels repeat the config columns (`loss=… optimizer=…`): cut them short before dropping any.
  const label = keep.find((c) => names[c.i] === 'run');
  if (label && total() > limit && label.width > LABEL) {
    label.width = Math.max(LABEL, label.width - (total() - limit));
    clipped = true;
  }
  for (let at = keep.length - 1; at >= 0 && total() > limit; at--) {
    const col = keep[at]!;
    if (KEEP.has(names[col.i]!)) continue;
    const over = total() - limit;
    if (col.width - over >= MIN_CELL) {
      col.width -= over;
      clipped = true;
    } else {
      dropped.unshift(names[col.i]!);
      keep.splice(at, 1);
    }
  }
  const run = keep.find((c) => names[c.i] === 'run');
  if (run && total() > limit) {
    const cut = Math.max(10, run.width - (total() - limit));
    clipped ||= cut < run.width;
    run.width = Math.min(run.width, cut);
  }
  return { keep, dropped, clipped };
}
