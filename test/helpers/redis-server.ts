/**
 * A real redis-server for the tests of what goes through Redis (the sweep queue, run transfers): a
 * fake would not show what a real server does with TTLs, binary values, pipelines or a restart.
 * Each server has a free port and a fresh temp dir, with the append-only file on so that restart()
 * brings the data back. Without redis-server the tests fail, and say how to get it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { nodeProcessAlive } from '../../src/util/process.js';

export interface RedisHandle {
  url: string;
  port: number;
  password?: string;
  dir: string;
  /** The running server's pid; a restart changes it. */
  pid: number;
  /** SIGTERM, then waits for the server to exit (it flushes the append-only file first). */
  stop(): Promise<void>;
  /** SIGKILL, a crash: what the append-only file has not fsynced yet is lost. */
  kill(): void;
  /** Stops gracefully, then starts again on the same port and dir (the data persists) and waits for PING. */
  restart(): Promise<void>;
}

const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 10_000;

const DIR_PREFIX = 'mnist-run-redis-';

// A test that throws before its afterAll must not leave servers running behind it.
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/**
 * The dirs (and any server still running) of test processes that are gone: vitest ends its workers
 * with a signal, which skips exit handlers, and stop() keeps the dir for a later restart(). Each dir
 * has an owner.json; a server is killed only if its pid still shows redis-server's title for its
 * port, so a reused pid is left alone.
 */
async function sweepOrphans(): Promise<void> {
  for (const name of await readdir(tmpdir())) {
    if (!name.startsWith(DIR_PREFIX)) continue;
    const dir = join(tmpdir(), name);
    const owner = await readFile(join(dir, 'owner.json'), 'utf8').then(
      (t) => JSON.parse(t) as { testPid: number; redisPid: number; port: number },
      () => undefined,
    );
    if (!owner || nodeProcessAlive(owner.testPid)) continue;
    const title = await readFile(`/proc/${owner.redisPid}/cmdline`, 'utf8').catch(() => '');
    if (title.startsWith(`redis-server 127.0.0.1:${owner.port}\0`)) process.kill(owner.redisPid, 'SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
}

function onPath(command: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((d) => {
    try {
      accessSync(join(d, command), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** A port the kernel had free a moment ago; start() retries when another process took it meanwhile. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** The log's last lines since byte `from` (the start of this launch: a restart appends to the same log). */
async function logTail(log: string, from = 0): Promise<string> {
  const text = await readFile(log).then(
    (b) => b.subarray(from).toString('utf8'),
    () => '(no log)',
  );
  return text.trimEnd().split('\n').slice(-15).join('\n');
}

/** PEM files for a TLS-only server: its certificate and key, and the CA that signed the certificate. */
export interface TlsFiles {
  cert: string;
  key: string;
  ca: string;
}

async function answersPing(port: number, password: string | undefined, tls?: TlsFiles): Promise<boolean> {
  const client = new Redis({
    host: '127.0.0.1',
    port,
    password,
    lazyConnect: true,
    retryStrategy: () => null,
    ...(tls && { tls: { ca: await readFile(tls.ca) } }),
  });
  client.on('error', () => undefined); // a refused connection is the expected answer while it starts
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false; // refused, or LOADING while it reads the append-only file
  } finally {
    client.disconnect();
  }
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** A server on a free port; with `tls`, TLS only (its URL is rediss://), clients not asked for certificates. */
export async function startRedis(opts: { password?: string; tls?: TlsFiles } = {}): Promise<RedisHandle> {
  if (!onPath('redis-server')) {
    throw new Error(
      'redis-server is missing: `make test` installs it (Debian package redis-server), or apt-get install redis-server',
    );
  }
  const { password } = opts;
  await sweepOrphans();
  const dir = await mkdtemp(join(tmpdir(), DIR_PREFIX));
  const log = join(dir, 'redis.log');

  /** Starts a server on `port`; false when the port turned out to be taken, throws on any other failure. */
  const launch = async (port: number): Promise<ChildProcess | false> => {
    const tls = opts.tls;
    const ports = tls
      ? ['--port', '0', '--tls-port', String(port), '--tls-cert-file', tls.cert, '--tls-key-file', tls.key]
      : ['--port', String(port)];
    if (tls) ports.push('--tls-ca-cert-file', tls.ca, '--tls-auth-clients', 'no');
    const args = [...ports, '--bind', '127.0.0.1', '--daemonize', 'no', '--dir', dir];
    args.push('--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '', '--logfile', log);
    if (password !== undefined) args.push('--requirepass', password);
    const from = await stat(log).then(
      (s) => s.size,
      () => 0,
    );
    const child = spawn('redis-server', args, { cwd: dir, stdio: 'ignore' });
    live.add(child);
    child.once('exit', () => live.delete(child));
    const owner = { testPid: process.pid, redisPid: child.pid, port };
    await writeFile(join(dir, 'owner.json'), JSON.stringify(owner));
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) {
        const tail = await logTail(log, from);
        if (/address already in use/i.test(tail)) return false;
        throw new Error(`redis-server exited (${child.exitCode ?? child.signalCode}) on start; ${log}:\n${tail}`);
      }
      if (await answersPing(port, password, tls)) return child;
      await sleep(50);
    }
    child.kill('SIGKILL');
    throw new Error(
      `redis-server did not answer PING within ${START_TIMEOUT_MS} ms; ${log}:\n${await logTail(log, from)}`,
    );
  };

  let port = 0;
  let child: ChildProcess | false = false;
  for (let attempt = 0; attempt < 5 && !child; attempt++) {
    port = await freePort();
    child = await launch(port);
  }
  if (!child) throw new Error(`redis-server found no free port in 5 tries; ${log}:\n${await logTail(log)}`);
  let current: ChildProcess = child;

  const stop = async () => {
    const done = exited(current);
    current.kill('SIGTERM');
    const timer = setTimeout(() => current.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await done;
    clearTimeout(timer);
  };
  const auth = password === undefined ? '' : `:${encodeURIComponent(password)}@`;
  return {
    url: `${opts.tls ? 'rediss' : 'redis'}://${auth}127.0.0.1:${port}`,
    port,
    password,
    dir,
    get pid() {
      return current.pid!;
    },
    stop,
    kill: () => current.kill('SIGKILL'),
    restart: async () => {
      await stop();
      const next = await launch(port);
      if (!next) throw new Error(`redis-server could not take port ${port} again on restart: another process has it`);
      current = next;
    },
  };
}
