import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';

export type { Logger };

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const HIDDEN = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'v']);

/** One NDJSON record as a short human line: `16:03:22 INFO  epoch 1/5 loss=0.31`. */
export function formatRecord(line: string): string {
  const rec = JSON.parse(line) as Record<string, unknown>;
  const time = new Date(rec.time as number).toISOString().slice(11, 19);
  const level = (LEVELS[rec.level as number] ?? String(rec.level)).padEnd(5);
  const extra = Object.entries(rec)
    .filter(([k]) => !HIDDEN.has(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  return [time, level, rec.msg ?? '', ...extra].join(' ').trimEnd();
}

/** A stream that prints pino records readably, for the terminal. */
export function readableStream(out: NodeJS.WritableStream): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) out.write(`${formatRecord(line)}\n`);
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
  const streams: pino.StreamEntry[] = [{ level: 'info', stream: readableStream(o.terminal) }];
  if (o.file) streams.push({ level: 'debug', stream: pino.destination({ dest: o.file, sync: true, mkdir: true }) });
  const now = o.now ?? Date.now;
  return pino(
    { level: o.level ?? 'debug', base: undefined, timestamp: () => `,"time":${now()}` },
    pino.multistream(streams),
  );
}
