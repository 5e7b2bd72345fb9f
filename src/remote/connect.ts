/**
 * First contact with Redis, made to fail fast and say why. BullMQ's own connections retry forever
 * (right once a sweep is going: a restarted Redis is waited for), so before handing it an address
 * we try it once ourselves, for a few seconds, and turn what went wrong into one line.
 */
import { Redis } from 'ioredis';
import { QueueError } from '../errors.js';
import { connectionOptions, type RedisAddress, redact } from './url.js';

/** Why a connection failed, in words; `undefined` for errors worth another try. */
function explain(err: Error, a: RedisAddress, waitedMs: number): string | undefined {
  const m = err.message;
  const code = (err as { code?: string }).code;
  if (/WRONGPASS|invalid password|invalid username-password/i.test(m))
    return `Redis at ${a.shown} refused the ${a.username ? 'user name or password' : 'password'}: check the one in the URL`;
  if (/NOAUTH|Authentication required/i.test(m))
    return `Redis at ${a.shown} wants a password: give it in the URL, redis://:PASSWORD@${a.host}:${a.port}`;
  if (/without any password configured|AUTH.*called without any password/i.test(m))
    return `Redis at ${a.shown} has no password set, but the URL gives one: leave it out`;
  if (code && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME/.test(code))
    return `Redis at ${a.shown}: its TLS certificate is not trusted here (${m}); if a private CA signed it, give that CA with NODE_EXTRA_CA_CERTS=ca.pem`;
  if (a.tls && /wrong version number|packet length too long|ERR_SSL/i.test(`${code} ${m}`))
    return `Redis at ${a.shown} does not speak TLS on port ${a.port}: use redis:// (or the server's TLS port)`;
  if (code === 'ECONNRESET' && !a.tls && waitedMs > 0)
    return `Redis at ${a.shown} closes the connection at once: if that port wants TLS, use rediss://`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `cannot reach Redis at ${a.shown}: no host named ${a.host}`;
  if (/DB index is out of range/i.test(m)) return `Redis at ${a.shown} has no database ${a.db}`;
  if (code === 'ECONNREFUSED' || code === 'ETIMEDOUT' || code === 'EHOSTUNREACH' || /timeout/i.test(m))
    return waitedMs > 0
      ? `cannot reach Redis at ${a.shown}: ${code === 'ECONNREFUSED' ? 'connection refused' : 'no answer'} for ${(waitedMs / 1000).toFixed(0)} s (is redis-server running there, on that port, and reachable from here?${a.tls ? ' Does that port speak TLS? If not, use redis://' : ''})`
      : undefined;
  return undefined;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One try: connect, PING, disconnect. The error the socket or the server gave, if any. */
async function tryOnce(a: RedisAddress, timeoutMs: number): Promise<Error | undefined> {
  const client = new Redis({
    ...connectionOptions(a),
    lazyConnect: true,
    connectTimeout: timeoutMs,
    // A probe has nothing to flush: ioredis's default would keep the process alive 2 s more after a failure.
    disconnectTimeout: 100,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  let seen: Error | undefined;
  client.on('error', (e: Error) => {
    seen ??= e;
  });
  try {
    await client.connect();
    await client.ping();
    return undefined;
  } catch (err) {
    return seen ?? (err as Error);
  } finally {
    client.disconnect();
  }
}

/**
 * Resolves once Redis at `a` answers PING with our credentials; retries refused connections until
 * `timeoutMs`, then throws a QueueError of one line. Nothing in it carries the password.
 */
export async function probeRedis(a: RedisAddress, timeoutMs = 4000): Promise<void> {
  const start = Date.now();
  for (;;) {
    const left = timeoutMs - (Date.now() - start);
    const err = await tryOnce(a, Math.max(500, left));
    if (!err) return;
    const waited = Date.now() - start;
    const why = explain(err, a, waited >= timeoutMs ? waited : 0);
    if (why) throw new QueueError(redact(why, a));
    if (waited >= timeoutMs) throw new QueueError(redact(`cannot use Redis at ${a.shown}: ${err.message}`, a));
    await sleep(250);
  }
}

/** A line for a connection error met later, while working (Redis restarted, network gone). */
export function lostLine(err: Error, a: RedisAddress): string {
  const code = (err as { code?: string }).code;
  return redact(`Redis at ${a.shown}: ${code ?? err.message}; reconnecting`, a);
}
