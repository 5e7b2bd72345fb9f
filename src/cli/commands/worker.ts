import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import type { Argv } from 'yargs';
import { UsageError } from '../../errors.js';
import type { CliEnv } from '../env.js';
import { applySoftwareGpu, checkWhole, MAX_THREADS, withBackend, withJson } from './options.js';

interface WorkerArgs {
  queue: string;
  concurrency: number;
  threads?: number;
  backend: string;
  workDir: string;
  dataRoot: string[];
  name?: string;
  train: boolean;
  json: boolean;
  allowSoftwareGpu: boolean;
}

/** How long a job's lock lasts unrenewed (BullMQ's default, 30 s): a dead worker's run is retried after about that. */
function lockMs(): number {
  const text = process.env.MNIST_RUN_QUEUE_LOCK_MS;
  const ms = text === undefined ? 30_000 : Number(text);
  if (Number.isInteger(ms) && ms >= 1000 && ms <= 3_600_000) return ms;
  throw new UsageError(
    `MNIST_RUN_QUEUE_LOCK_MS=${text}: expected milliseconds from 1000 to 3600000 (default 30000); unset it or fix it`,
  );
}

export function workerCommand(env: CliEnv) {
  return {
    command: 'worker',
    describe: 'take runs from a sweep queue (Redis) and train them here, sending each run folder back',
    builder: (y: Argv) =>
      withJson(withBackend(y))
        .option('queue', {
          type: 'string',
          demandOption: true,
          describe: 'the Redis the sweeps queue on: redis://[:password@]host:port[/db], rediss:// for TLS',
        })
        .option('concurrency', { type: 'number', default: 1, describe: 'runs at once, each a child process' })
        .option('threads', { type: 'number', describe: 'threads per run (default: cores / concurrency)' })
        .option('work-dir', {
          type: 'string',
          default: 'mnist-run-work',
          describe: 'where runs train before they are sent back; nothing is written elsewhere',
        })
        .option('data-root', {
          type: 'string',
          array: true,
          default: [] as string[],
          describe:
            'a data folder (or a folder of them) runs may train on, found by checksum; the bundled MNIST always is',
        })
        .option('name', { type: 'string', describe: 'how sweeps show this worker (default: host:pid)' })
        .option('train', {
          type: 'boolean',
          default: true,
          describe: '--no-train: check each job and send back only that (measures the queue itself)',
        }),
    handler: async (a: WorkerArgs) => {
      applySoftwareGpu(a.allowSoftwareGpu);
      checkWhole(
        'concurrency',
        a.concurrency,
        [1, 256],
        'each run is a process: more than the cores only slows each one',
      );
      if (a.threads !== undefined) checkWhole('threads', a.threads, [1, MAX_THREADS], 'at most the cores');
      const { parseRedisUrl } = await import('../../remote/url.js');
      const { probeRedis } = await import('../../remote/connect.js');
      const address = parseRedisUrl(a.queue);
      const lock = lockMs();
      await probeRedis(address);
      const { threadsPerRun } = await import('../../sweep/child.js');
      const { codeVersionHere } = await import('../../sweep/prepare.js');
      const { createLogger } = await import('../../log.js');
      const { startWorker } = await import('../../remote/worker.js');
      const workDir = resolve(env.cwd, a.workDir);
      const log = createLogger({ terminal: env.stderr, file: join(workDir, 'worker.log') });
      const status = (event: string, fields: Record<string, unknown> = {}) => {
        if (a.json) env.stdout.write(`${JSON.stringify({ time: env.now().toISOString(), event, ...fields })}\n`);
      };
      const worker = await startWorker({
        address,
        name: a.name ?? `${hostname()}:${process.pid}`,
        concurrency: a.concurrency,
        threads: a.threads ?? threadsPerRun(a.concurrency),
        backend: a.backend,
        workDir,
        dataRoots: a.dataRoot,
        cwd: env.cwd,
        noTrain: !a.train,
        codeVersion: await codeVersionHere(),
        log,
        status,
        lockMs: lock,
      });
      const undo = env.onSecondSignal(() => {
        log.warn('abandoning the running runs: they go back to the queue for another worker');
        worker.abandon();
      }, 'taking no more runs; the running ones finish first (again to abandon them to another worker)');
      const watch = setInterval(() => {
        if (!env.interrupted()) return;
        clearInterval(watch);
        status('stopping');
        worker.stop();
      }, 100);
      await worker.closed;
      clearInterval(watch);
      undo();
      status('stopped');
      log.info('worker stopped');
      // A Redis that is gone leaves BullMQ's reconnect timers holding the event loop: nothing is left to do.
      setTimeout(() => process.exit(), 2000).unref();
    },
  };
}
