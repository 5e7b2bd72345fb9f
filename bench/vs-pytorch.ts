/**
 * Benchmark script, not a module to import: mnist-run against PyTorch on this CPU, config by config.
 *
 *   npx vite-node bench/vs-pytorch.ts -- [--rounds 3] [--configs ann-seed,ann,cnn] [--epochs 1]
 *     [--max-samples N] [--threads N] [--python /usr/bin/python3] [--torch-env KEY=VALUE] [--out bench/results/vs-pytorch.json]
 *
 * Needs the built CLI (dist/cli/main.js: `make build`). For each round, for each config, in turn:
 * 1. mnist-run: `node dist/cli/main.js configs/X.yaml --backend onednn --threads N --set
 *    train.epochs=E --set train.validation=none --json`, a real training run of E epochs (--epochs,
 *    default 1) as a user starts it; the figure is the run summary's trainSamplesPerSecond (training
 *    samples over the epochs' training seconds; validation would sit outside that timing anyway and
 *    is turned off to save time). N defaults to the machine's cores, the CLI's own default.
 * 2. PyTorch with 1 thread, then 3. with 2 threads: bench/pytorch_peer.py, the same network, loss,
 *    optimizer, batch size and data, E epochs with the loss read back every batch. PyTorch is set
 *    up at its best for this CPU, for its own process only: OpenBLAS's OpenMP build (Debian's
 *    libopenblas0-openmp) first on LD_LIBRARY_PATH, and OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE
 *    removed from its environment (set here for older OpenBLAS builds; mnist-run keeps them), and
 *    torch.set_flush_denormal(True): Adam's moments decay into subnormal floats, which are slow on
 *    x86 (mnist-run's Adam flushes them too; PyTorch's 5-epoch ann ran 1.04-1.12x faster so).
 *    "PyTorch at its best" is the better of the 1- and 2-thread medians.
 * --max-samples N trains both on the first N training images only (a quick look, not a figure).
 * --torch-env KEY=VALUE (repeatable) adds a variable to PyTorch's environment only, e.g.
 * GOMP_SPINCOUNT=20000, the OpenMP spin mnist-run's addon sets for itself (on a busy 2-core machine
 * libgomp's default spin makes 2 threads far slower than 1); recorded in the JSON.
 *
 * Prints a markdown table and writes every round's figures, the medians, the machine, settings and
 * versions to --out. PyTorch is optional: without torch for --python, mnist-run is measured alone
 * and the output says PyTorch was not measured. Rounds interleave the tools so that a change in
 * the machine's load hits all of them; each measurement records the load average at its start and
 * the share of CPU time the hypervisor stole while it ran (Linux; a shared VM's neighbours), and
 * what a matrix product got from the machine just before (the sgemm probe, on 1 and N threads: a
 * VM's vCPUs that share a physical core halve the N-thread figures without any steal).
 */

import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parse as parseYaml } from 'yaml';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');
const PEER = join(ROOT, 'bench', 'pytorch_peer.py');
/** Set on this machine for older OpenBLAS builds; removed for PyTorch's process only. */
const UNSET_FOR_TORCH = ['OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE'];
const TORCH_THREADS = [1, 2];

// ---------------------------------------------------------------------------------------------
// Options

const argv = process.argv.slice(2).filter((a) => a !== '--');
const value = (name: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const ROUNDS = Number(value('--rounds') ?? 3);
const CONFIGS = (value('--configs') ?? 'ann-seed,ann,cnn').split(',').filter(Boolean);
/** What the user gave or lacks, said in one line, and a non-zero exit: no stack trace. */
function fail(message: string): never {
  console.error(`bench/vs-pytorch.ts: ${message}`);
  process.exit(2);
}

const MAX_SAMPLES = Number(value('--max-samples') ?? 0);
const EPOCHS = Number(value('--epochs') ?? 1);
const THREADS = Number(value('--threads') ?? os.availableParallelism());
const PYTHON = value('--python') ?? '/usr/bin/python3';
const TORCH_ENV = Object.fromEntries(
  argv.flatMap((a, i) => (argv[i - 1] === '--torch-env' ? [a.split(/=(.*)/s).slice(0, 2) as [string, string]] : [])),
);
const OUT = resolve(value('--out') ?? join(ROOT, 'bench', 'results', 'vs-pytorch.json'));
for (const [name, v] of [
  ['--rounds', ROUNDS],
  ['--threads', THREADS],
  ['--epochs', EPOCHS],
] as const) {
  if (!Number.isInteger(v) || v < 1) fail(`${name} must be a positive integer, not ${v}`);
}
if (!Number.isInteger(MAX_SAMPLES) || MAX_SAMPLES < 0) fail('--max-samples must be a whole number N >= 0');

// ---------------------------------------------------------------------------------------------
// Helpers

const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;
const load = () => os.loadavg().map((x) => round(x, 2)) as [number, number, number];
/** The machine's CPU time so far in jiffies (Linux's /proc/stat): all of it, and what the hypervisor stole. */
function cpuTime(): { total: number; steal: number } | undefined {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    return { total: f.reduce((a, b) => a + b, 0), steal: f[7] ?? 0 };
  } catch {
    return undefined;
  }
}
/**
 * The share of the machine's CPU time the hypervisor took for other guests since `from` (null where
 * not known): on a shared VM a high share makes any figure taken meanwhile a figure of the neighbours.
 */
function stealSince(from: ReturnType<typeof cpuTime>): number | null {
  const now = cpuTime();
  if (!from || !now || now.total <= from.total) return null;
  return round((now.steal - from.steal) / (now.total - from.total), 3);
}
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  if (!s.length) return Number.NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

interface Ran {
  stdout: string;
  stderr: string;
  seconds: number;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Ran> {
  const t0 = performance.now();
  return new Promise((ok, fail) => {
    execFile(cmd, args, { cwd: ROOT, env, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err) fail(new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${stderr.slice(-2000)}`));
      else ok({ stdout, stderr, seconds: (performance.now() - t0) / 1000 });
    });
  });
}

/** The OpenMP build of OpenBLAS from Debian's libopenblas0-openmp, if installed. */
function openblasOpenmpDir(): string | undefined {
  const arch = { x64: 'x86_64', arm64: 'aarch64' }[process.arch as string] ?? process.arch;
  const candidates = [`/usr/lib/${arch}-linux-gnu/openblas-openmp`, '/usr/lib/openblas-openmp'];
  return candidates.find((d) => existsSync(join(d, 'libblas.so.3')));
}

function machine() {
  let cpuinfo = '';
  try {
    cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  } catch {}
  const model = cpuinfo.match(/^model name\s*:\s*(.*)$/m)?.[1]?.trim() ?? os.cpus()[0]?.model ?? 'unknown';
  const flags = cpuinfo.match(/^flags\s*:(.*)$/m)?.[1] ?? '';
  return {
    model,
    cores: os.availableParallelism(),
    avx512: /\bavx512f\b/.test(flags),
    avx2: /\bavx2\b/.test(flags),
    memGiB: round(os.totalmem() / 2 ** 30, 1),
    kernel: os.release(),
  };
}

/** The model name as lscpu prints it (falls back to /proc/cpuinfo when lscpu is missing). */
async function lscpuModel(): Promise<string | undefined> {
  try {
    const { stdout } = await run('lscpu', []);
    return stdout.match(/^Model name:\s*(.*)$/m)?.[1]?.trim();
  } catch {
    return undefined;
  }
}

/** What a config file says about the settings the peer hard-codes, to check they agree. */
function configSettings(name: string) {
  const cfg = parseYaml(readFileSync(join(ROOT, 'configs', `${name}.yaml`), 'utf8')) as {
    loss?: string;
    optimizer?: { type?: string; learningRate?: number };
    train?: { batchSize?: number };
  };
  return {
    loss: cfg.loss,
    optimizer: cfg.optimizer?.type,
    learningRate: cfg.optimizer?.learningRate,
    batchSize: cfg.train?.batchSize,
  };
}

const PROBE_N = 1024;
const PROBE = `
import { loadAddon } from ${JSON.stringify(pathToFileURL(join(ROOT, 'dist', 'backend', 'onednn', 'addon.js')).href)};
const load = loadAddon();
if (!load.ok) throw new Error(load.reason);
const n = ${PROBE_N}, a = new Float32Array(n * n).fill(0.5), b = new Float32Array(n * n).fill(0.25);
const out = new Float32Array(n * n);
const rate = (threads) => {
  load.addon.setThreads(threads);
  let best = Infinity;
  for (let i = 0; i < 8; i++) {
    const t0 = performance.now();
    load.addon.matMul(a, b, out, 1, 1, n, n, n, false, false);
    best = Math.min(best, performance.now() - t0);
  }
  return Math.round((2 * n ** 3) / best / 1e6);
};
console.log(JSON.stringify({ threads1: rate(1), threadsN: rate(${THREADS}) }));
`;

/**
 * What the machine gives a matrix product right now, in GFLOP/s: the addon's matMul (oneDNN) of two
 * 1024x1024 matrices, best of 8, on 1 thread and on --threads, in a child process with mnist-run's
 * environment (~0.5 s). Taken before every figure. On a shared VM the vCPUs can land on one physical
 * core's two hyperthreads: seen here as the 2-thread rate dropping to the 1-thread one (76 and 75
 * GFLOP/s, against 77 and 158 minutes later) while the steal stayed near 0, and every 2-thread figure
 * taken meanwhile is about half. Null where the addon or dist/ is missing.
 */
async function sgemmProbe(): Promise<{ threads1: number; threadsN: number } | null> {
  try {
    const r = await run(process.execPath, ['--input-type=module', '-e', PROBE]);
    return JSON.parse(r.stdout) as { threads1: number; threadsN: number };
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// The two sides

interface MnistRunFigure {
  samplesPerSecond: number;
  samples: number;
  seconds: number;
  wallSeconds: number;
  finalLoss: number;
  testAccuracy: number;
  params: number;
  backend: unknown;
  loadBefore: [number, number, number];
  stealShare: number | null;
  sgemmProbe: Awaited<ReturnType<typeof sgemmProbe>>;
}

async function mnistRun(name: string, outRoot: string): Promise<MnistRunFigure> {
  const probe = await sgemmProbe();
  const args = [CLI, join('configs', `${name}.yaml`), '--backend', 'onednn', '--threads', String(THREADS)];
  args.push('--set', `train.epochs=${EPOCHS}`, '--set', 'train.validation=none', '--json', '--quiet', '--out', outRoot);
  if (MAX_SAMPLES) args.push('--set', `data.trainSize=${MAX_SAMPLES}`);
  const loadBefore = load();
  const cpu0 = cpuTime();
  const r = await run(process.execPath, args);
  const stealShare = stealSince(cpu0);
  const out = JSON.parse(r.stdout) as {
    runDir: string;
    summary: {
      trainSamplesPerSecond: number;
      trainSeconds: number;
      testAccuracy: number;
      final: { loss: number };
      params: { total: number };
    };
  };
  const meta = JSON.parse(await readFile(join(out.runDir, 'meta.json'), 'utf8')) as {
    backend: unknown;
    data: { trainSamples: number };
  };
  await rm(out.runDir, { recursive: true, force: true });
  const s = out.summary;
  return {
    samplesPerSecond: s.trainSamplesPerSecond,
    samples: meta.data.trainSamples,
    seconds: s.trainSeconds,
    wallSeconds: r.seconds,
    finalLoss: s.final.loss,
    testAccuracy: s.testAccuracy,
    params: s.params.total,
    backend: meta.backend,
    loadBefore,
    stealShare,
    sgemmProbe: probe,
  };
}

interface PeerOut {
  reason?: string;
  torch?: string;
  threads?: number;
  params?: { total: number; trainable: number; nonTrainable: number };
  settings?: Record<string, unknown>;
  samplesPerSecond?: number;
  samples?: number;
  seconds?: number;
  lastLoss?: number;
  meanLoss?: number;
  testAccuracy?: number;
  blasLibraries?: string[];
  openblas?: Record<string, unknown> | null;
}

function torchEnv(openmpDir: string | undefined): NodeJS.ProcessEnv {
  const env = { ...process.env, ...TORCH_ENV };
  for (const k of UNSET_FOR_TORCH) delete env[k];
  if (openmpDir) env.LD_LIBRARY_PATH = [openmpDir, env.LD_LIBRARY_PATH].filter(Boolean).join(':');
  return env;
}

async function peer(name: string, threads: number, env: NodeJS.ProcessEnv, extra: string[] = []) {
  const args = [PEER, '--config', name, '--threads', String(threads), '--epochs', String(EPOCHS), '--flush-denormal'];
  args.push(...extra);
  if (MAX_SAMPLES) args.push('--max-samples', String(MAX_SAMPLES));
  const probe = extra.length ? null : await sgemmProbe();
  const loadBefore = load();
  const cpu0 = cpuTime();
  const r = await run(PYTHON, args, env);
  const ran = { wallSeconds: r.seconds, loadBefore, stealShare: stealSince(cpu0), sgemmProbe: probe };
  return { out: JSON.parse(r.stdout) as PeerOut, ...ran };
}

// ---------------------------------------------------------------------------------------------
// Main

if (!existsSync(CLI)) fail(`${relative(ROOT, CLI)} is missing: build the CLI first (\`make build\`)`);
for (const c of CONFIGS) {
  if (!existsSync(join(ROOT, 'configs', `${c}.yaml`))) fail(`no configs/${c}.yaml: name configs that exist there`);
}

const openmpDir = openblasOpenmpDir();
const env = torchEnv(openmpDir);
const startedAt = new Date().toISOString();
const loadStart = load();
const cpuStart = cpuTime();

// PyTorch there at all? Its parameter counts and settings are checked against mnist-run's.
let torchReason: string | undefined;
let torchVersion: string | undefined;
const checks: Record<string, unknown> = {};
try {
  for (const c of CONFIGS) {
    const { out } = await peer(c, 1, env, ['--params-only']);
    if (out.reason) {
      torchReason = out.reason;
      break;
    }
    torchVersion = out.torch;
    const want = configSettings(c);
    const got = out.settings ?? {};
    const mismatched = Object.entries(want).filter(([k, v]) => got[k] !== v);
    checks[c] = { peerParams: out.params, peerSettings: got, configSettings: want, settingsMatch: !mismatched.length };
    if (mismatched.length) console.error(`warning: ${c}: the peer's ${mismatched.map(([k]) => k).join(', ')} differ`);
  }
} catch (err) {
  torchReason = `${PYTHON} could not run the peer: ${(err as Error).message.split('\n')[0]}`;
}
if (torchReason) console.error(`PyTorch not measured: ${torchReason}`);

const doctor = JSON.parse((await run(process.execPath, [CLI, 'doctor', '--json'])).stdout) as {
  backends: { name: string; ok: boolean; device?: string; threads?: number }[];
};
const onednnInfo = doctor.backends.find((b) => b.name === 'onednn');
if (!onednnInfo?.ok) fail('the onednn backend does not load here (`node dist/cli/main.js doctor` says why)');
const tfjsVersion = (
  JSON.parse(readFileSync(join(ROOT, 'node_modules', '@tensorflow', 'tfjs', 'package.json'), 'utf8')) as {
    version: string;
  }
).version;

const probeText = (p: Awaited<ReturnType<typeof sgemmProbe>>) =>
  p ? `sgemm probe ${p.threads1} GFLOP/s on 1 thread, ${p.threadsN} on ${THREADS}` : 'no sgemm probe';
const tmp = await mkdtemp(join(os.tmpdir(), 'vs-pytorch-'));
type Round = {
  round: number;
  config: string;
  mnistRun: MnistRunFigure;
  pytorch: Record<string, Awaited<ReturnType<typeof peer>>['out'] & Omit<Awaited<ReturnType<typeof peer>>, 'out'>>;
};
const rounds: Round[] = [];
try {
  for (let r = 1; r <= ROUNDS; r++) {
    for (const c of CONFIGS) {
      const m = await mnistRun(c, tmp);
      console.error(
        `round ${r} ${c}: mnist-run ${m.samplesPerSecond.toFixed(0)} samples/s (${m.samples} samples; ${probeText(m.sgemmProbe)})`,
      );
      const row: Round = { round: r, config: c, mnistRun: m, pytorch: {} };
      if (!torchReason) {
        for (const t of TORCH_THREADS) {
          const p = await peer(c, t, env);
          const { out, ...ran } = p;
          row.pytorch[String(t)] = { ...out, ...ran };
          console.error(
            `round ${r} ${c}: pytorch ${t} thread(s) ${p.out.samplesPerSecond?.toFixed(0)} samples/s (${probeText(p.sgemmProbe)})`,
          );
        }
      }
      rounds.push(row);
    }
  }
} finally {
  await rm(tmp, { recursive: true, force: true });
}
const loadEnd = load();
const steal = stealSince(cpuStart);

// Medians and the table.
const summary = CONFIGS.map((c) => {
  const rows = rounds.filter((x) => x.config === c);
  const ours = rows.map((x) => x.mnistRun.samplesPerSecond);
  const torchMedians = Object.fromEntries(
    TORCH_THREADS.map((t) => [t, median(rows.map((x) => x.pytorch[String(t)]?.samplesPerSecond ?? Number.NaN))]),
  );
  const measured = TORCH_THREADS.filter((t) => Number.isFinite(torchMedians[t]));
  const bestThreads = measured.length
    ? measured.reduce((a, b) => (torchMedians[b]! > torchMedians[a]! ? b : a))
    : undefined;
  const best = bestThreads === undefined ? undefined : torchMedians[bestThreads]!;
  const probes = rows.flatMap((x) => [x.mnistRun.sgemmProbe, ...Object.values(x.pytorch).map((p) => p.sgemmProbe)]);
  const spread = (k: 'threads1' | 'threadsN') => {
    const xs = probes.flatMap((p) => (p ? [p[k]] : []));
    return xs.length ? { min: Math.min(...xs), max: Math.max(...xs) } : null;
  };
  const peerParams = (checks[c] as { peerParams?: { total: number } } | undefined)?.peerParams?.total;
  return {
    config: c,
    samples: rows[0]?.mnistRun.samples,
    mnistRun: { median: median(ours), min: Math.min(...ours), max: Math.max(...ours) },
    pytorch: bestThreads === undefined ? null : { mediansByThreads: torchMedians, bestThreads, best },
    ratio: best ? median(ours) / best : null,
    sgemmProbeGflops: { threads1: spread('threads1'), threadsN: spread('threadsN') },
    params: { mnistRun: rows[0]?.mnistRun.params, pytorch: peerParams, equal: peerParams === rows[0]?.mnistRun.params },
  };
});

const range = (r: { min: number; max: number } | null) =>
  r ? (r.min === r.max ? `${r.min}` : `${r.min}–${r.max}`) : '–';
const fmt = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '–' : Math.round(x).toString());
const lines = [
  `| config | samples | mnist-run onednn ${THREADS} thr, samples/s median (range) | PyTorch 1 thr | PyTorch 2 thr | PyTorch best (threads) | mnist-run / PyTorch best | sgemm probe GFLOP/s, 1 / ${THREADS} thr |`,
  '|---|---:|---:|---:|---:|---:|---:|---:|',
  ...summary.map((s) => {
    const t = s.pytorch;
    return `| ${s.config} | ${s.samples} | ${fmt(s.mnistRun.median)} (${fmt(s.mnistRun.min)}–${fmt(s.mnistRun.max)}) | ${fmt(t?.mediansByThreads[1])} | ${fmt(t?.mediansByThreads[2])} | ${t ? `${fmt(t.best)} (${t.bestThreads})` : 'not measured'} | ${s.ratio ? `${s.ratio.toFixed(2)}×` : '–'} | ${range(s.sgemmProbeGflops.threads1)} / ${range(s.sgemmProbeGflops.threadsN)} |`;
  }),
];
const mnistMeasure = `mnist-run: trainSamplesPerSecond from the run summary of \`mnist-run configs/X.yaml --set train.epochs=${EPOCHS}\` (training samples over the training seconds of the epochs, as a user sees it; first batch included)`;
const probeMeasure = `sgemm probe: the addon's matMul of two ${PROBE_N}x${PROBE_N} matrices, best of 8, on 1 and ${THREADS} threads, before every figure; its range over the row's figures (a ${THREADS}-thread rate near the 1-thread one: the vCPUs were sharing a core)`;
const torchMeasure =
  'PyTorch: bench/pytorch_peer.py, the same network, loss, optimizer, batch and data, loss.item() every batch, torch.set_flush_denormal(True); samples over the seconds from the first batch to the last';
console.log(
  `\n${ROUNDS} round(s), ${MAX_SAMPLES ? `first ${MAX_SAMPLES} training images (not a full epoch)` : `${EPOCHS === 1 ? 'one full epoch' : `${EPOCHS} full epochs`} (60000 images each)`}, load average ${loadStart.join(' ')} → ${loadEnd.join(' ')} on ${os.availableParallelism()} cores${steal === null ? '' : `, ${(100 * steal).toFixed(0)} % of the CPU time stolen by the hypervisor meanwhile${steal > 0.05 ? ' (figures of a shared machine: compare ratios, not absolutes)' : ''}`}\n`,
);
console.log(lines.join('\n'));
console.log(`\n${mnistMeasure}.\n${torchMeasure}.\n${probeMeasure}.`);
if (torchReason) console.log(`PyTorch was not measured: ${torchReason}`);
else
  console.log(
    `PyTorch ${torchVersion} with ${openmpDir ? `${openmpDir} first on LD_LIBRARY_PATH` : 'its default BLAS (no libopenblas0-openmp found)'}, ${UNSET_FOR_TORCH.join(' and ')} unset for it.`,
  );
for (const s of summary) {
  if (s.params.pytorch !== undefined && !s.params.equal)
    console.log(`warning: ${s.config}: parameters differ: mnist-run ${s.params.mnistRun}, PyTorch ${s.params.pytorch}`);
}

const firstTorch = rounds.flatMap((x) => Object.values(x.pytorch))[0];
const result = {
  what: 'mnist-run (onednn) against PyTorch at its best on this CPU, per shipped config (bench/vs-pytorch.ts)',
  command: `npx vite-node bench/vs-pytorch.ts -- ${argv.join(' ')}`.trim(),
  startedAt,
  endedAt: new Date().toISOString(),
  rounds: ROUNDS,
  configs: CONFIGS,
  maxSamples: MAX_SAMPLES || null,
  fullEpoch: !MAX_SAMPLES,
  epochs: EPOCHS,
  measures: {
    mnistRun: mnistMeasure,
    pytorch: torchMeasure,
    sgemmProbe: probeMeasure,
    best: 'the better of the 1- and 2-thread medians',
  },
  machine: {
    ...machine(),
    lscpuModel: await lscpuModel(),
    loadAverageBefore: loadStart,
    loadAverageAfter: loadEnd,
    stealShare: steal,
  },
  threads: { mnistRun: THREADS, pytorch: torchReason ? [] : TORCH_THREADS },
  settings: {
    mnistRun: {
      backend: 'onednn',
      env: Object.fromEntries(UNSET_FOR_TORCH.map((k) => [k, process.env[k] ?? null])),
      note: 'run with this process’s environment unchanged',
    },
    pytorch: torchReason
      ? null
      : {
          python: PYTHON,
          ldLibraryPath: env.LD_LIBRARY_PATH ?? null,
          openblasOpenmpDir: openmpDir ?? null,
          unset: UNSET_FOR_TORCH,
          flushDenormal: firstTorch?.settings?.flushDenormal ?? null,
          unsetWereSet: UNSET_FOR_TORCH.filter((k) => process.env[k] !== undefined),
          extraEnv: TORCH_ENV,
          ompNumThreads: 'set to the thread count by the peer, with torch.set_num_threads',
          blasLibraries: firstTorch?.blasLibraries ?? null,
          openblas: firstTorch?.openblas ?? null,
        },
  },
  versions: {
    node: process.version,
    tfjs: tfjsVersion,
    onednnBackend: onednnInfo.device,
    oneDNN: onednnInfo.device?.match(/oneDNN ([\d.]+)/)?.[1] ?? null,
    torch: torchVersion ?? null,
  },
  pytorchNotMeasured: torchReason ?? null,
  checks,
  summary,
  table: lines.join('\n'),
  perRound: rounds,
};
await mkdir(dirname(OUT), { recursive: true });
await writeFile(OUT, `${JSON.stringify(result, null, 2)}\n`);
console.log(`\nwrote ${relative(process.cwd(), OUT) || OUT}`);
