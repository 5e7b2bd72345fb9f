import { describe, expect, it } from 'vitest';
import { liveStatus, localProbe, type Probe, STALE_MS } from '../src/run/liveness.js';

const now = Date.parse('2026-12-01T12:00:00Z');
const probe = (alive: boolean): Probe => ({ host: 'here', now, alive: () => alive });
const beat = (msAgo: number) => new Date(now - msAgo).toISOString();

describe('liveStatus', () => {
  it.each([
    ['a live process here', { host: 'here', pid: 7 }, true, 'running'],
    ['a process gone here', { host: 'here', pid: 7 }, false, 'crashed'],
    ['another host, fresh heartbeat', { host: 'there', pid: 7, heartbeat: beat(1_000) }, false, 'running'],
    ['another host, stale heartbeat', { host: 'there', pid: 7, heartbeat: beat(STALE_MS + 1) }, true, 'crashed'],
    ['a run from before pids were recorded', {}, false, 'running'],
  ] as const)('reads a running run with %s as %s', (_, fields, alive, expected) => {
    expect(liveStatus({ status: 'running', ...fields }, probe(alive))).toBe(expected);
  });

  it('leaves every finished status as written', () => {
    for (const status of ['completed', 'failed', 'interrupted', 'diverged'] as const)
      expect(liveStatus({ status, host: 'here', pid: 7 }, probe(false))).toBe(status);
  });

  it('finds this very process alive, and a pid nobody has dead', () => {
    const p = localProbe();
    expect(p.alive(process.pid)).toBe(true);
    expect(p.alive(2 ** 22 + 12_345)).toBe(false); // above Linux's pid_max
  });
});
