import { readFileSync } from 'node:fs';

/**
 * Whether a Node process with this pid runs on this machine. On Linux /proc tells a pid reused by
 * another program apart; elsewhere the signal test is all there is.
 */
export function nodeProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    return /node|mnist-run/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
  } catch {
    return true; // no /proc (macOS)
  }
}

/**
 * Whether a child of this process has exited. Until Node reaps it, an exited child is a zombie that
 * `kill(pid, 0)` still finds, so /proc's state letter decides; where there is no /proc, it is only
 * known to have exited once reaped.
 */
export function childExited(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    try {
      process.kill(pid, 0);
      return false;
    } catch {
      return true;
    }
  }
}

/** Blocks the whole thread for `ms`: only for a process's last moments, when nothing async will run again. */
export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
