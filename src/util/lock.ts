/**
 * A lock file naming its holder: `{"pid":…,"host":…,"nonce":…}`, for one process per folder (a
 * sweep, a resumed run). It is created with its content in one step: written to a temp file, then
 * link()ed to the lock's name, which fails if the name exists. So no reader ever sees an empty or
 * half-written lock, and of any number of processes starting at once exactly one gets in.
 *
 * A lock whose holder is gone (kill -9, power cut) is stale and taken over. Removing it must not
 * race either: two newcomers that both found it stale could otherwise each delete the lock the
 * other had just made. So only the process that wins `<lock>.break-<inode>` (the same link trick,
 * keyed by the stale file's inode) may delete it, and only if that very inode is still there.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, unlinkSync } from 'node:fs';
import { link, open, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { nodeProcessAlive } from './process.js';

/** The lock is held (or cannot be taken); the message says by whom and what to do. Callers make it their user error. */
export class LockHeldError extends Error {
  override name = 'LockHeldError';
}

export interface LockOptions {
  /** Is this pid, on this host, a live holder? Tests pass their own. */
  alive?: (pid: number) => boolean;
  host?: string;
}

/**
 * A lock file that cannot be read (written by something else, or by an older mnist-run between its
 * open and its write) counts as held while younger than this, and as stale after.
 */
export const UNREADABLE_GRACE_MS = 10_000;

interface Seen {
  ino: number;
  ageMs: number;
  holder?: { pid: number; host?: string };
}

/** The lock as it is now, read through one handle so the inode and the content belong together. */
async function inspect(file: string): Promise<Seen | undefined> {
  const handle = await open(file, 'r').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (!handle) return undefined;
  try {
    const st = await handle.stat();
    const text = (await handle.readFile('utf8')).trim();
    return { ino: st.ino, ageMs: Date.now() - st.mtimeMs, holder: parseHolder(text) };
  } finally {
    await handle.close();
  }
}

/** This module's JSON, or a bare pid (what earlier versions wrote). */
function parseHolder(text: string): Seen['holder'] {
  if (/^\d+$/.test(text)) return { pid: Number(text) };
  try {
    const v = JSON.parse(text) as { pid?: unknown; host?: unknown };
    if (Number.isInteger(v.pid) && (v.pid as number) > 0)
      return { pid: v.pid as number, host: typeof v.host === 'string' ? v.host : undefined };
  } catch {}
  return undefined;
}

type Verdict = { stale: true } | { stale: false; why: string };

function judge(seen: Seen, host: string, alive: (pid: number) => boolean): Verdict {
  const h = seen.holder;
  if (!h)
    return seen.ageMs < UNREADABLE_GRACE_MS
      ? { stale: false, why: 'is being locked by another process at this moment' }
      : { stale: true };
  if (h.host !== undefined && h.host !== host)
    return { stale: false, why: `is in use by process ${h.pid} on ${h.host}` };
  return alive(h.pid) ? { stale: false, why: `is in use by process ${h.pid}` } : { stale: true };
}

/** link() as an exclusive create: true when `to` was made, false when it already existed. */
async function linked(from: string, to: string): Promise<boolean> {
  try {
    await link(from, to);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

const pause = () => new Promise((r) => setTimeout(r, 5 + Math.random() * 20));

/** Deletes the stale lock `seen` if it is still in place and this process wins the right to. */
async function breakStale(file: string, tmp: string, seen: Seen, verdict: (s: Seen) => Verdict) {
  const token = `${file}.break-${seen.ino}`;
  if (!(await linked(tmp, token))) {
    // Another newcomer is deleting it; a token whose maker died in that instant is stale itself.
    const other = await inspect(token);
    if (other && verdict(other).stale) await unlink(token).catch(() => undefined);
    await pause();
    return;
  }
  try {
    const now = await inspect(file);
    if (now && now.ino === seen.ino && verdict(now).stale) await unlink(file).catch(() => undefined);
  } finally {
    await unlink(token).catch(() => undefined);
  }
}

/**
 * Takes `file` for this process or throws a LockHeldError naming `what` and its holder. Returns the
 * release: synchronous, so a process ending at once can still call it, and it removes the lock
 * only while it is still this one.
 */
export async function acquireLock(file: string, what: string, o: LockOptions = {}): Promise<() => void> {
  const host = o.host ?? hostname();
  const verdict = (s: Seen) => judge(s, host, o.alive ?? nodeProcessAlive);
  const content = `${JSON.stringify({ pid: process.pid, host, nonce: randomBytes(8).toString('hex') })}\n`;
  const tmp = `${file}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, content);
  try {
    for (let attempt = 0; attempt < 100; attempt++) {
      if (await linked(tmp, file)) return () => releaseIfOurs(file, content);
      const seen = await inspect(file);
      if (!seen) continue; // released in between: try again
      const v = verdict(seen);
      if (!v.stale) throw new LockHeldError(`${what} ${v.why}; wait for it, or stop it with Ctrl-C, then run again`);
      await breakStale(file, tmp, seen, verdict);
    }
    throw new LockHeldError(`cannot lock ${what}: ${file} keeps changing; remove it if nothing is running there`);
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

function releaseIfOurs(file: string, content: string): void {
  try {
    if (readFileSync(file, 'utf8') === content) unlinkSync(file);
  } catch {
    // already gone
  }
}
