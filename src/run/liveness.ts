/**
 * Whether a run whose meta.json says `running` is still being trained. On the machine that trains it
 * the answer is exact (is its process there?); from another machine it rests on the heartbeat the
 * run rewrites while it trains.
 */
import { hostname } from 'node:os';
import { nodeProcessAlive } from '../util/process.js';
import type { RunMeta } from './format.js';

/** How often a running run rewrites its heartbeat. */
export const HEARTBEAT_MS = 15_000;

/**
 * A heartbeat older than this means the run is gone. Generous: the heartbeat is written between
 * batches, and one batch of a large model on a slow machine, or the test set's evaluation, can take
 * minutes without a turn of the event loop.
 */
export const STALE_MS = 10 * 60_000;

/** What liveness looks at outside the files: tests pass their own. */
export interface Probe {
  host: string;
  now: number;
  /** Is process `pid` on this machine a live mnist-run (node) process? */
  alive: (pid: number) => boolean;
}

export const localProbe = (): Probe => ({ host: hostname(), now: Date.now(), alive: nodeProcessAlive });

type Lively = Pick<Partial<RunMeta>, 'status' | 'pid' | 'host' | 'heartbeat' | 'start'>;

/**
 * `running` only while the run's process is there: `crashed` when it is gone (kill -9, power cut, a
 * full disk at the last write). Runs from before pids were recorded cannot be told apart: they keep
 * what their file says.
 */
export function liveStatus(meta: Lively, probe: Probe): RunMeta['status'] | undefined {
  if (meta.status !== 'running') return meta.status;
  if (meta.pid === undefined) return 'running';
  if (meta.host === probe.host) return probe.alive(meta.pid) ? 'running' : 'crashed';
  const beat = Date.parse(meta.heartbeat ?? meta.start ?? '');
  return Number.isFinite(beat) && probe.now - beat > STALE_MS ? 'crashed' : 'running';
}
