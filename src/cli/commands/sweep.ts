import { resolve } from 'node:path';
import type { Argv } from 'yargs';
import { InterruptedError } from '../../errors.js';
import { terminalLevel } from '../../log.js';
import type { CliEnv } from '../env.js';
import { applySoftwareGpu, checkWhole, emit, withBackend, withJson, withSet } from './options.js';

/** Child processes at once; each holds a model and its data. */
const MAX_PARALLEL = 256;

interface SweepArgs {
  file: string;
  set: string[];
  backend: string;
  out: string;
  parallel: number;
  dryRun: boolean;
  codeVersion?: string;
  queue?: string;
  json: boolean;
  allowSoftwareGpu: boolean;
}

export function sweepCommand(env: CliEnv) {
  return {
    command: 'sweep <file>',
    describe: 'run every variant a sweep file describes, N at a time; finished runs are skipped on a re-run',
    builder: (y: Argv) =>
      withSet(withJson(withBackend(y)))
        .positional('file', { type: 'string', demandOption: true, describe: 'sweep file (YAML)' })
        .option('out', {
          type: 'string',
          default: 'sweeps',
          describe: 'root of sweep folders; the sweep lives in OUT/<sweep name>/',
        })
        .option('parallel', {
          type: 'number',
          default: 1,
          describe: 'runs at once, each a child process with cores/N threads',
        })
        .option('queue', {
          type: 'string',
          describe:
            'queue the runs on Redis for `mnist-run worker`s anywhere: redis://[:password@]host:port[/db] (rediss:// for TLS)',
        })
        .option('dry-run', {
          type: 'boolean',
          default: false,
          describe: 'print the plan, parameter counts and an estimated time; train nothing',
        })
        .option('code-version', {
          type: 'string',
          describe:
            'identify runs by this instead of package version + git commit (to resume across commits that do not change training)',
        }),
    handler: async (a: SweepArgs) => {
      applySoftwareGpu(a.allowSoftwareGpu);
      checkWhole(
        'parallel',
        a.parallel,
        [1, MAX_PARALLEL],
        'each run is a process: more than the cores only slows each one',
      );
      const address = a.queue === undefined ? undefined : await queueAddress(a);
      if (address && !a.dryRun) {
        const { probeRedis } = await import('../../remote/connect.js');
        await probeRedis(address); // before planning: a wrong address is said in seconds
      }
      const { prepareSweep } = await import('../../sweep/prepare.js');
      const { threadsPerRun } = await import('../../sweep/child.js');
      const file = resolve(env.cwd, a.file);
      const { plan, configs, sums } = await prepareSweep(file, a.set, env.cwd, a.codeVersion);
      const threads = threadsPerRun(a.parallel);
      if (a.dryRun) {
        const { dryRun, formatDryRun } = await import('../../sweep/dry-run.js');
        const d = await dryRun(plan, configs, { backend: a.backend as never, parallel: a.parallel, threads });
        emit(env.stdout, a.json, { plan, estimate: d }, () => formatDryRun(plan, d));
        return;
      }
      const dir = resolve(env.cwd, a.out, plan.name);
      if (address) {
        const { runQueuedSweep } = await import('../../remote/coordinator.js');
        const res = await runQueuedSweep({ plan, configs, sums, dir, address, ...env, level: terminalLevel() });
        finish(
          env,
          a.json,
          res,
          dir,
          `the queue keeps the other runs and the workers go on; run the same command again to collect them (${dir})`,
        );
        return;
      }
      const { runSweep } = await import('../../sweep/run-sweep.js');
      const { startChild } = await import('../../sweep/child.js');
      const res = await runSweep({
        plan,
        dir,
        parallel: a.parallel,
        threads,
        backend: a.backend,
        start: startChild,
        stderr: env.stderr,
        level: terminalLevel(),
        now: env.now,
        interrupted: env.interrupted,
        stoppedBy: env.stoppedBy,
        onForcedExit: env.onForcedExit,
      });
      finish(env, a.json, res, dir, `run the same command again to resume (${dir})`);
    },
  };
}

/** The --queue address, checked with what it does not go with; the workers choose backend and threads. */
async function queueAddress(a: SweepArgs) {
  const { UsageError } = await import('../../errors.js');
  if (a.parallel !== 1)
    throw new UsageError('--parallel is for a sweep on this machine; with --queue each worker has --concurrency');
  if (a.backend !== 'auto' && !a.dryRun)
    throw new UsageError(
      `--backend ${a.backend} is for a sweep on this machine; with --queue each worker picks its backend: start them with \`mnist-run worker --backend ${a.backend} --queue …\``,
    );
  if (a.allowSoftwareGpu && !a.dryRun)
    throw new UsageError(
      '--allow-software-gpu is for a sweep on this machine; with --queue give it to the workers: `mnist-run worker --allow-software-gpu --backend webgpu --queue …`',
    );
  const { parseRedisUrl } = await import('../../remote/url.js');
  return parseRedisUrl(a.queue!);
}

/** The sweep's last word: interrupted (with how to go on), failures (exit 1), or all done. */
function finish(
  env: CliEnv,
  json: boolean,
  res: { rows: { status: string }[]; skipped: number; stopped: boolean },
  dir: string,
  goOn: string,
): void {
  const failed = res.rows.filter((r) => r.status !== 'completed').length;
  if (res.stopped) {
    throw new InterruptedError(
      `sweep interrupted: ${res.rows.length - failed} of ${res.rows.length} runs finished; ${goOn}`,
    );
  }
  if (failed) env.setExitCode(1);
  const done = `${res.rows.length - failed} of ${res.rows.length} runs completed (${res.skipped} skipped as already finished)`;
  emit(env.stdout, json, res, () => `${dir}\n${done}${failed ? `, ${failed} failed: see ${dir}/index.csv` : ''}`);
}
