import { copyFile, readdir, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { type BackendChoice, type SelectedBackend, selectBackend } from '../backend/select.js';
import { type LoadedConfig, loadConfig } from '../config/load.js';
import { type Dataset, loadDataset, probeDataset } from '../data/dataset.js';
import { compileModel } from '../model/compile.js';
import { RUN_FILES } from '../output-files.js';
import { checkFitsDevice } from '../train/loop.js';
import { writeFileAtomic } from '../util/fs.js';
import { claimRunDir, createRunDir } from './folder.js';
import { FORMAT_VERSION, type RunMeta } from './format.js';
import { backendMeta, MetaFile, versions, writeMeta } from './meta.js';
import { type RunEnv, type RunResult, releaseModel, trainInFolder } from './session.js';
import { gitCommit } from './version.js';

export type { RunEnv, RunResult } from './session.js';

export interface RunOptions {
  file: string;
  overrides: string[];
  backend: BackendChoice;
  outDir?: string;
  /** Use exactly this (new or empty) folder instead of a timestamped one under outDir: for sweeps. */
  runDir?: string;
}

/** Everything that can fail before a run folder exists: a run that cannot start writes nothing. */
async function prepare(o: RunOptions, env: RunEnv) {
  // Checked against the data folder's image size and classes, and the machine's memory, before any tfjs.
  const loaded = await loadConfig(resolve(env.cwd, o.file), o.overrides, { probeData: probeDataset });
  const { data } = loaded.config;
  const dataset = await loadDataset({ path: loaded.dataPath, trainSize: data.trainSize, testSize: data.testSize });
  const backend = await selectBackend(o.backend);
  const cfg = loaded.config;
  const model = compileModel(cfg, [dataset.rows, dataset.cols], cfg.seed);
  try {
    checkFitsDevice(model, cfg.train.batchSize); // a GPU too small for the model: said before any folder exists
  } catch (err) {
    releaseModel(model);
    throw err;
  }
  return { loaded, dataset, backend, model };
}

function initialMeta(
  loaded: LoadedConfig,
  dataset: Dataset,
  backend: SelectedBackend,
  env: RunEnv,
  commit: string | null,
): RunMeta {
  const { name, seed } = loaded.config;
  return {
    formatVersion: FORMAT_VERSION,
    status: 'running',
    argv: env.argv,
    name: name ?? basename(loaded.file),
    configFile: loaded.file,
    versions: versions(),
    backend: backendMeta(backend),
    seed,
    data: {
      source: dataset.source,
      files: dataset.files,
      trainSamples: dataset.train.count,
      testSamples: dataset.test.count,
    },
    gitCommit: commit,
    pid: process.pid,
    host: hostname(),
    heartbeat: env.now().toISOString(),
    start: env.now().toISOString(),
    end: null,
  };
}

/**
 * The run folder with its first files, or nothing: a run that cannot start (a disk too full even for
 * meta.json) leaves no folder behind.
 */
async function startFolder(o: RunOptions, env: RunEnv, loaded: LoadedConfig, meta: RunMeta): Promise<string> {
  const cfg = loaded.config;
  const made = o.runDir
    ? await claimRunDir(resolve(env.cwd, o.runDir))
    : await createRunDir(resolve(env.cwd, o.outDir ?? 'runs'), cfg.name ?? 'run', env.now());
  try {
    await copyFile(loaded.file, join(made, RUN_FILES.config));
    await writeFileAtomic(join(made, RUN_FILES.resolvedConfig), loaded.resolvedYaml);
    await writeMeta(made, meta);
    return made;
  } catch (err) {
    // claimRunDir took an empty folder: empty it again; createRunDir made one: remove it.
    if (o.runDir) for (const f of await readdir(made)) await rm(join(made, f), { recursive: true, force: true });
    else await rm(made, { recursive: true, force: true });
    throw err;
  }
}

/** Train one experiment end to end and leave a complete run folder behind. */
export async function runExperiment(o: RunOptions, env: RunEnv): Promise<RunResult> {
  const { loaded, dataset, backend, model } = await prepare(o, env);
  let runDir: string;
  const meta = initialMeta(loaded, dataset, backend, env, await gitCommit());
  try {
    runDir = await startFolder(o, env, loaded, meta);
  } catch (err) {
    releaseModel(model);
    throw err;
  }
  return trainInFolder({ loaded, dataset, backend, model, runDir, meta: new MetaFile(runDir, meta, env.now) }, env);
}
