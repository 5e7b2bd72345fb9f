/**
 * A Redis address as users write it (`redis://[:password@]host:port[/db]`, `rediss://` for TLS) and
 * what ioredis needs from it. The password never leaves this module in text: everything shown to a
 * person goes through `shown`, and error text through `redact`.
 */
import { isIP } from 'node:net';
import { UsageError } from '../errors.js';

export interface RedisAddress {
  host: string;
  port: number;
  db: number;
  tls: boolean;
  username?: string;
  password?: string;
  /** The address with the password replaced by `***`: for logs, errors and progress. */
  shown: string;
}

const EXAMPLE = 'redis://[:password@]host:port[/db] (or rediss:// for TLS), e.g. redis://localhost:6379';

function refuse(text: string, why: string): never {
  throw new UsageError(`--queue ${redactText(text)}: ${why}; expected ${EXAMPLE}`);
}

/** Any `scheme://user:password@` in a text, with the password hidden: for text that may still hold a URL. */
function redactText(text: string): string {
  return text.replace(/(\w+:\/\/[^:@/\s]*:)[^@\s]*@/g, '$1***@');
}

export function parseRedisUrl(text: string): RedisAddress {
  if (!text.includes('://')) refuse(text, `no scheme: write redis://${text}`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    refuse(text, 'not a URL');
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:')
    refuse(text, `the scheme is ${url.protocol.replace(/:$/, '')}, not redis or rediss`);
  if (!url.hostname) refuse(text, 'no host');
  if (url.search || url.hash) refuse(text, 'options after ? or # are not read');
  const port = url.port ? Number(url.port) : 6379;
  const dbText = url.pathname.replace(/^\//, '');
  if (dbText && !/^\d{1,2}$/.test(dbText)) refuse(text, `the database "${dbText}" is not a number 0-99`);
  const username = url.username ? decodeURIComponent(url.username) : undefined;
  const password = url.password ? decodeURIComponent(url.password) : undefined;
  const auth = password ? `${username ?? ''}:***@` : username ? `${username}@` : '';
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port,
    db: dbText ? Number(dbText) : 0,
    tls: url.protocol === 'rediss:',
    ...(username && { username }),
    ...(password && { password }),
    shown: `${url.protocol}//${auth}${url.host}${dbText ? `/${dbText}` : ''}`,
  };
}

/** `text` with the address's password (raw and URL-encoded) and any URL credentials hidden. */
export function redact(text: string, address?: RedisAddress): string {
  let out = redactText(text);
  const p = address?.password;
  if (p) for (const form of new Set([p, encodeURIComponent(p)])) out = out.split(form).join('***');
  return out;
}

/** ioredis options for the address. `maxRetriesPerRequest: null` is what BullMQ's workers require. */
export function connectionOptions(a: RedisAddress) {
  return {
    host: a.host,
    port: a.port,
    db: a.db,
    ...(a.username && { username: a.username }),
    ...(a.password && { password: a.password }),
    // SNI takes host names only (Node warns for an IP); the certificate is checked against either.
    ...(a.tls && { tls: isIP(a.host) ? {} : { servername: a.host } }),
    maxRetriesPerRequest: null,
  };
}
