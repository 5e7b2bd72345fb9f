/**
 * rediss://: a sweep and a worker through a TLS-only redis-server whose certificate a private CA
 * signed (made here with openssl), trusted the way Node trusts one (NODE_EXTRA_CA_CERTS); and the
 * one-line errors when it is not trusted, or when redis:// is used against the TLS port.
 */
import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startTestWorker } from '../helpers/queue-worker.js';
import { type RedisHandle, startRedis, type TlsFiles } from '../helpers/redis-server.js';

let root: string;
let redis: RedisHandle;
let tls: TlsFiles;

/** A CA and a certificate it signed for 127.0.0.1 and localhost. */
function makeCertificates(dir: string): TlsFiles {
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  ssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=mnist-run test CA',
  );
  ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
  execFileSync('sh', ['-c', 'printf "subjectAltName=DNS:localhost,IP:127.0.0.1" > san.ext'], { cwd: dir });
  ssl(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.pem',
    '-days',
    '2',
    '-extfile',
    'san.ext',
  );
  return { cert: join(dir, 'server.pem'), key: join(dir, 'server.key'), ca: join(dir, 'ca.pem') };
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'queue-tls-'));
  tls = makeCertificates(root);
  redis = await startRedis({ password: 'tls-pw', tls });
});
afterAll(async () => {
  await redis?.stop();
});

describe('a queue over TLS', () => {
  it('runs a sweep through rediss:// when the CA is trusted', async () => {
    const dir = join(root, 'coordinator');
    await mkdir(dir, { recursive: true });
    await copyFile(join(import.meta.dirname, '..', '..', 'configs', 'ann-seed.yaml'), join(dir, 'ann-seed.yaml'));
    await writeFile(
      join(dir, 'tls.sweep.yaml'),
      'name: tls\nbase: ann-seed.yaml\nset: { data.trainSize: 500, data.testSize: 100, train.epochs: 1 }\ngrid:\n  seed: [1, 2]\n',
    );
    expect(redis.url).toMatch(/^rediss:\/\//);
    const trusted = { NODE_EXTRA_CA_CERTS: tls.ca };
    const w = await startTestWorker(redis.url, join(root, 'worker'), 'tls-worker', ['--backend', 'cpu'], trusted);
    try {
      const res = await runCli(['sweep', 'tls.sweep.yaml', '--queue', redis.url, '--json'], { cwd: dir, env: trusted });
      expect(res.code, res.stderr).toBe(0);
      expect((JSON.parse(res.stdout) as { rows: { status: string }[] }).rows.map((r) => r.status)).toEqual([
        'completed',
        'completed',
      ]);
      expect(res.stderr).not.toMatch(/warning/i);
    } finally {
      w.signal('SIGKILL');
      await w.exited;
    }
  }, 180_000);

  it.each([
    [
      'its CA is not trusted',
      () => redis.url,
      /^mnist-run: Redis at rediss:\/\/:\*\*\*@127\.0\.0\.1:\d+: its TLS certificate is not trusted here \(.*\); if a private CA signed it, give that CA with NODE_EXTRA_CA_CERTS=ca\.pem$/,
    ],
    [
      'redis:// meets its TLS port',
      () => redis.url.replace('rediss:', 'redis:'),
      /^mnist-run: Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+ closes the connection at once: if that port wants TLS, use rediss:\/\/$/,
    ],
  ])(
    'says so in one line when %s',
    async (_, url, why) => {
      const res = await runCli(['worker', '--queue', url()], { cwd: root });
      expect(res.code, res.stderr).toBe(1);
      expect(res.stderr.trimEnd()).toMatch(why);
    },
    60_000,
  );
});
