import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';
import { type Paint, painter } from './colour.js';

export type { Logger };

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const HIDDEN = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'v']);

/** The terminal's level: the CLI's --quiet (warn) and --verbose (debug) set it for this process and its children. */
export const TERMINAL_LEVEL_ENV = 'MNIST_RUN_TERMINAL_LEVEL';
export type TerminalLevel = 'warn' | 'info' | 'debug';

export function terminalLevel(): TerminalLevel {
  const v = process.env[TERMINAL_LEVEL_ENV];
  return v === 'warn' || v === 'debug' ? v : 'info';
}

/** Numbers as a person reads them: 4 significant digits for fractions, whole numbers as they are. */
const readableNumber = (v: number) => (Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4))));

/**
 * A field's value on one line: strings as they are, numbers rounded, a list of named things (the
 * backends skipped) as `a: why; b: why`, anything else as compact JSON, newlines flattened.
 */
function readableValue(v: unknown): string {
  if (typeof v === 'number') return readableNumber(v);
  if (Array.isArray(v) && v.every((x) => typeof x === 'object' && x !== null && 'name' in x)) {
    return v.map((x: Record<string, unknown>) => (x.reason ? `${x.name}: ${x.reason}` : String(x.name))).join('; ');
  }
  const text =
    typeof v === 'string' ? v : JSON.stringify(v, (_k, x) => (typeof x === 'number' ? Number(readableNumber(x)) : x));
  return String(text).replace(/\s*\n\s*/g, ' ');
}

const LEVEL_STYLE: Record<number, Parameters<Paint>[0]> = { 40: 'yellow', 50: 'red', 60: 'red' };

/** One NDJSON record as a short human line: `16:03:22 INFO  epoch 1/5 loss=0.31`. */
export function formatRecord(line: string, paint: Paint = (_s, t) => t): string {
  const rec = JSON.parse(line) as Record<string, unknown>;
  const time = new Date(rec.time as number).toISOString().slice(11, 19);
  const name = (LEVELS[rec.level as number] ?? String(rec.level)).padEnd(5);
  const style = LEVEL_STYLE[rec.level as number] ?? (/\bcompleted\b/.test(String(rec.msg)) ? 'green' : undefined);
  const level = style ? paint(style, name) : name;
  const extra = Object.entries(rec)
    .filter(([k]) => !HIDDEN.has(k) && rec[k] !== undefined)
    .map(([k, v]) => `${k}=${readableValue(v)}`);
  const msg = String(rec.msg ?? '').replace(/\s*\n\s*/g, ' ');
  return [time, level, msg, ...extra].join(' ').trimEnd();
}

/** A stream that prints pino records readably, for the terminal (coloured only where `out` is one). */
export function readableStream(out: NodeJS.WritableStream): Writable {
  const paint = painter(out as { isTTY?: boolean });
  return new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) out.write(`${formatRecord(line, paint)}\n`);
      done();
    },
  });
}

export interface LoggerOptions {
  terminal: NodeJS.WritableStream;
  /** NDJSON log file; none before a run folder exists. */
  file?: string;
  level?: string;
  now?: () => number;
}

/**
 * pino to the run folder (NDJSON, written synchronously so a crash keeps the last lines) and a
 * readable copy on the terminal. The clock is injected so tests get stable times.
 */
export function createLogger(o: LoggerOptions): Logger {
  const streams: pino.StreamEntry[] = [{ level: terminalLevel(), stream: readableStream(o.terminal) }];
  if (o.file) streams.push({ level: 'debug', stream: pino.destination({ dest: o.file, sync: true, mkdir: true }) });
  const now = o.now ?? Date.now;
  return pino(
    { level: o.level ?? 'debug', base: undefined, timestamp: () => `,"time":${now()}` },
    pino.multistream(streams),
  );
}
