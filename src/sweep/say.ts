import type { TerminalLevel } from '../log.js';

const RANK: Record<TerminalLevel, number> = { debug: 0, info: 1, warn: 2 };

export type Say = Record<TerminalLevel, (line: string) => void>;

/**
 * The sweep's own `sweep: …` lines on stderr, each at a level: progress is info (gone under
 * --quiet), a run that did not complete is a warning (always shown), detail is debug (--verbose).
 */
export function sweepSay(out: NodeJS.WritableStream, level: TerminalLevel = 'info'): Say {
  const at = (l: TerminalLevel) => (line: string) => {
    if (RANK[l] >= RANK[level]) out.write(`sweep: ${line}\n`);
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn') };
}
