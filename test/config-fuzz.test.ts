/**
 * A corpus of generated configs, run through `validate` in-process (the CLI's own `main`, with its
 * one catch): whatever a user writes, validate answers with exit 0 or 1 and a located message,
 * never an internal error; every config it accepts builds in tfjs, and a sample trains a batch.
 * The seed is fixed so CI is reproducible; FC_SEED=<n> explores others, FC_RUNS=<n> more cases.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main, reportError } from '../src/cli/cli.js';
import { validateCommand } from '../src/cli/commands/validate.js';
import type { CliEnv } from '../src/cli/env.js';
import { toYaml } from '../src/config/load.js';
import type { Config } from '../src/config/schema.js';
import { type Dataset, loadDataset, oneHot } from '../src/data/dataset.js';
import { compileModel } from '../src/model/compile.js';

const SEED = process.env.FC_SEED ? Number(process.env.FC_SEED) : 20261201;
const RUNS = process.env.FC_RUNS ? Number(process.env.FC_RUNS) : 1000;

let dir: string;
let data: Dataset;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mnist-run-fuzz-'));
  data = await loadDataset({ trainSize: 16, testSize: 1 });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** The CLI's world with captured streams. */
function captured(): CliEnv & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  const stream = (into: string[]) => ({ write: (s: string) => into.push(s) }) as unknown as NodeJS.WriteStream;
  let code = 0;
  return {
    cwd: dir,
    argv: [],
    stdout: stream(out),
    stderr: stream(err),
    now: () => new Date(0),
    interrupted: () => false,
    stoppedBy: () => undefined,
    stopWithParent: () => {},
    stopReason: () => undefined,
    onForcedExit: () => () => {},
    onSecondSignal: () => () => {},
    setExitCode: (c) => {
      code = c;
    },
    exitCode: () => code,
    out,
    err,
  };
}

// --- configs that follow the schema ----------------------------------------------------------

const small = (lo: number, hi: number) => fc.integer({ min: lo, max: hi });
const side = fc.oneof(small(1, 5), fc.tuple(small(1, 5), small(1, 5)));
const pad = fc.constantFrom('valid', 'same');
const act = fc.constantFrom('relu', 'sigmoid', 'tanh', 'softmax', 'linear', 'elu', 'selu', 'swish');
const image = fc.constantFrom([28, 28, 1], [14, 14, 4], [7, 7, 16], [28, 7, 4]);
const init = fc.constantFrom(
  'heNormal',
  'zeros',
  { type: 'randomNormal', stddev: 0.1 },
  { type: 'constant', value: 0.5 },
);

const layer = fc.oneof(
  fc.constant({ type: 'flatten' }),
  fc.record({ type: fc.constant('reshape'), targetShape: fc.oneof(image, fc.constant([784])) }),
  fc.record(
    {
      type: fc.constant('dense'),
      units: small(1, 40),
      activation: act,
      useBias: fc.boolean(),
      kernelInitializer: init,
    },
    { requiredKeys: ['type', 'units'] },
  ),
  fc.record({ type: fc.constant('activation'), activation: act }),
  fc.record(
    {
      type: fc.constant('conv2d'),
      filters: small(1, 6),
      kernelSize: side,
      strides: side,
      padding: pad,
      activation: act,
    },
    { requiredKeys: ['type', 'filters', 'kernelSize'] },
  ),
  fc.record(
    { type: fc.constantFrom('maxPooling2d', 'averagePooling2d'), poolSize: side, strides: side, padding: pad },
    { requiredKeys: ['type'] },
  ),
  fc.record({ type: fc.constantFrom('globalAveragePooling2d', 'globalMaxPooling2d') }),
  fc.record(
    { type: fc.constant('zeroPadding2d'), padding: fc.oneof(small(0, 3), fc.tuple(small(0, 3), small(0, 3))) },
    { requiredKeys: ['type'] },
  ),
  fc.record(
    {
      type: fc.constant('batchNormalization'),
      axis: fc.constantFrom(-1, 1, 2, 3),
      momentum: fc.double({ min: 0, max: 1, noNaN: true }),
    },
    { requiredKeys: ['type'] },
  ),
  fc.record({ type: fc.constant('dropout'), rate: fc.double({ min: 0, max: 0.9, noNaN: true }) }),
);

/** Often a network that ends right (flatten, dense 10, softmax), so that many configs pass. */
const layers = fc
  .tuple(fc.array(layer, { minLength: 0, maxLength: 3 }), fc.boolean(), fc.nat(3))
  .map(([body, image, tail]) => [
    ...(image ? [{ type: 'reshape', targetShape: [28, 28, 1] }] : []),
    ...body,
    ...(tail > 0 ? [{ type: 'flatten' }, { type: 'dense', units: 10, activation: 'softmax' }] : []),
  ])
  .filter((l) => l.length > 0);

const optimizer = fc.oneof(
  fc.record({ type: fc.constant('sgd'), learningRate: fc.double({ min: 1e-4, max: 1, noNaN: true }) }),
  fc.record(
    { type: fc.constant('adam'), beta1: fc.double({ min: 0, max: 0.99, noNaN: true }) },
    { requiredKeys: ['type'] },
  ),
  fc.record({ type: fc.constant('momentum'), momentum: fc.double({ min: 0, max: 1, noNaN: true }) }),
  fc.record({ type: fc.constant('rmsprop'), centered: fc.boolean() }, { requiredKeys: ['type'] }),
  fc.record({ type: fc.constantFrom('adagrad', 'adadelta', 'adamax') }),
);

const config = fc.record(
  {
    seed: small(0, 1000),
    data: fc.record({ trainSize: small(1, 100), testSize: small(1, 100) }, { requiredKeys: [] }),
    model: fc.record({ layers }),
    loss: fc.constantFrom('categoricalCrossentropy', 'meanSquaredError', 'sparseCategoricalCrossentropy'),
    optimizer,
    metrics: fc.subarray(['accuracy', 'meanSquaredError'] as const),
    train: fc.record(
      {
        epochs: small(1, 3),
        batchSize: small(1, 128),
        validation: fc.oneof(
          fc.constantFrom('none', 'test'),
          fc.record({ split: fc.double({ min: 0.05, max: 0.5, noNaN: true }) }),
        ),
        earlyStopping: fc.record({
          monitor: fc.constantFrom('loss', 'loss', 'accuracy', 'val_loss'),
          patience: small(0, 3),
        }),
      },
      { requiredKeys: [] },
    ),
    augment: fc.record(
      { rotationRange: small(0, 30), zoomRange: fc.double({ min: 0, max: 0.5, noNaN: true }) },
      { requiredKeys: [] },
    ),
  },
  { requiredKeys: ['model'] },
);

// --- mutations: what a hostile or careless user writes ---------------------------------------

const garbage = fc.oneof(
  fc.constantFrom(-1, 0, 0.5, 1e9, 1e308, -1e308, 2 ** 53, 'ten', '', null, [], {}, [1, 2, 3], true, { type: 'nope' }),
  fc.integer(),
  fc.double(),
  fc.string({ maxLength: 8 }),
);
const KEYS = [
  'units',
  'filters',
  'kernelSize',
  'strides',
  'padding',
  'poolSize',
  'targetShape',
  'rate',
  'axis',
  'type',
  'batchSize',
  'epochs',
  'seed',
  'learningRate',
  'trainSize',
  'dilationRate',
  'unit',
  'extra',
];

type Json = unknown;
/** Every path into `v`, maps and lists alike. */
function paths(v: Json, at: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(v)) return [at, ...v.flatMap((x, i) => paths(x, [...at, i]))];
  if (v && typeof v === 'object') return [at, ...Object.entries(v).flatMap(([k, x]) => paths(x, [...at, k]))];
  return [at];
}
/** `v` with the node at `path` replaced by `f(node)`; undefined from f deletes it. */
function edit(v: Json, path: (string | number)[], f: (x: Json) => Json): Json {
  if (path.length === 0) return f(v);
  const [k, ...rest] = path;
  if (Array.isArray(v)) {
    const next = edit(v[k as number], rest, f);
    return next === undefined ? v.filter((_, i) => i !== k) : v.map((x, i) => (i === k ? next : x));
  }
  const copy: Record<string, Json> = { ...(v as Record<string, Json>) };
  const next = edit(copy[k!], rest, f);
  if (next === undefined) delete copy[k!];
  else copy[k!] = next;
  return copy;
}

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('replace' as const), pick: fc.nat(), value: garbage }),
  fc.record({ kind: fc.constant('delete' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('addKey' as const), pick: fc.nat(), key: fc.constantFrom(...KEYS), value: garbage }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

function mutate(cfg: Json, m: Mutation): Json {
  const all = paths(cfg);
  const path = all[m.pick % all.length]!;
  if (m.kind === 'replace') return edit(cfg, path, () => m.value);
  if (m.kind === 'delete') return path.length ? edit(cfg, path, () => undefined) : cfg;
  return edit(cfg, path, (x) => (x && typeof x === 'object' && !Array.isArray(x) ? { ...x, [m.key]: m.value } : x));
}

// --- the text: YAML as written, JSON (which is YAML), odd YAML ---------------------------------

const ODD = [
  'seed: *nope\n',
  'x: &x [1, 2]\nseed: *x\n',
  '<<: 3\n',
  'seed: 1\nseed: 2\n',
  '? [a, b]\n: 1\n',
  '---\nseed: 1\n',
  'seed: !!binary aGk=\n',
  'seed: !!timestamp 2001-12-14\n',
  'name: [unclosed\n',
  '\tseed: 1\n',
  'seed: .inf\n',
  'seed: .nan\n',
  'seed: 0x7fffffffffffffff\n',
  `a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [${Array(10).fill('*a').join(', ')}]\nc: [${Array(10).fill('*b').join(', ')}]\n`,
  '%YAML 1.1\n---\nseed: 1\n',
  'model: {layers: [{type: dense, units: 10}]}\nmodel:\n',
];
const text = fc.oneof(
  { weight: 5, arbitrary: fc.constant((c: Json) => toYaml(c)) },
  { weight: 2, arbitrary: fc.constant((c: Json) => JSON.stringify(c)) },
  { weight: 2, arbitrary: fc.constantFrom(...ODD).map((odd) => (c: Json) => `${odd}${toYaml(c)}`) },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }).map((s) => () => s) },
);

// --- overrides ---------------------------------------------------------------------------------

const OVERRIDE_PATHS = [
  'train.epochs',
  'train.batchSize',
  'model.layers.0',
  'model.layers.1.units',
  'model.layers.9',
  'optimizer',
  'optimizer.type',
  'seed',
  'data.trainSize',
  'train.validation',
  'loss',
  'augment',
  'model.layers.0.type.x',
  'x.y.z',
];
const VALUES = [
  '3',
  '-1',
  '1e9',
  'null',
  '{type: sgd}',
  '{split: 2}',
  '[1, 2',
  '*a',
  '&a [*a]',
  '!!binary 3',
  '{? [1]: 2}',
  'relu',
  '',
  '"quoted"',
  '0x10',
  '.inf',
];
const override = fc.oneof(
  fc.constantFrom(
    'train.epochs=2',
    'train.batchSize=16',
    'seed=7',
    'optimizer={type: sgd}',
    'train.validation={split: 0.2}',
  ),
  fc.tuple(fc.constantFrom(...OVERRIDE_PATHS), fc.constantFrom(...VALUES)).map(([p, v]) => `${p}=${v}`),
  fc.string({ maxLength: 20 }),
);

/** About half the cases are written as generated: the rest are damaged on purpose. */
const sometimes = <T>(arb: fc.Arbitrary<T[]>) => fc.oneof(fc.constant([] as T[]), arb);
const input = fc.record({
  config,
  mutations: sometimes(fc.array(mutation, { minLength: 1, maxLength: 3 })),
  text: fc.oneof({ weight: 3, arbitrary: fc.constant((c: Json) => toYaml(c)) }, { weight: 2, arbitrary: text }),
  overrides: sometimes(fc.array(override, { minLength: 1, maxLength: 3 })),
});

/**
 * validate as the CLI runs it: its handler, and the CLI's own error report (reportError, main's one
 * catch). Every tenth case goes through all of `main`, yargs' parsing of --set included: that
 * costs ~40 ms a call here, the handler alone a few.
 */
function validate(env: CliEnv, overrides: string[], whole: boolean): Promise<number> {
  if (whole) return main(['validate', 'x.yaml', '--json', ...overrides.flatMap((o) => ['--set', o])], env);
  return validateCommand(env)
    .handler({ file: 'x.yaml', set: overrides, json: true })
    .then(
      () => env.exitCode(),
      (err: unknown) => reportError(err, env),
    );
}

/** A message is located when every line starts at a place: file:line:col, an override, or a named file. */
const LOCATED = /^(x\.yaml:\d+:\d+ |--set |x\.yaml: |\/\S+: )/;

describe('validate on generated and mutated configs', () => {
  const accepted: Config[] = [];
  const counts = { cases: 0, accepted: 0, overrides: 0 };

  it(`answers ${RUNS} cases with exit 0 or 1 and a located message, never an internal error (seed ${SEED})`, async () => {
    const started = Date.now();
    await fc
      .assert(
        fc.asyncProperty(input, async ({ config: cfg, mutations, text: write, overrides }) => {
          const file = join(dir, 'x.yaml');
          await writeFile(file, write(mutations.reduce(mutate, cfg as Json)));
          const env = captured();
          const code = await validate(env, overrides, counts.cases % 10 === 0);
          const err = env.err.join('');
          counts.cases++;
          counts.overrides += overrides.length;
          expect(err).not.toContain('internal error');
          expect([0, 1]).toContain(code);
          if (code === 0) {
            const out = JSON.parse(env.out.join('')) as { config: Config };
            accepted.push(out.config);
            return;
          }
          const lines = err
            .replace(/^mnist-run: /, '')
            .trimEnd()
            .split('\n');
          // A usage error from yargs (an override that is not a string, say) names itself and the help.
          if (lines.at(-1) === 'Run `mnist-run --help` for usage.') return;
          for (const line of lines) expect(line).toMatch(LOCATED);
        }),
        { seed: SEED, numRuns: RUNS, endOnFailure: true },
      )
      .catch((e: unknown) => {
        console.error(`config fuzz failed with FC_SEED=${SEED}`);
        throw e;
      });
    counts.accepted = accepted.length;
    console.info(
      `config fuzz: ${JSON.stringify(counts)} in ${((Date.now() - started) / 1000).toFixed(1)} s, seed ${SEED}`,
    );
    expect(counts.cases).toBe(RUNS);
    expect(accepted.length).toBeGreaterThan(RUNS / 20); // the generator is no use if nearly nothing passes
    expect(counts.cases - accepted.length).toBeGreaterThan(RUNS / 4); // nor if nearly everything does
  }, 180_000);

  it('builds every accepted config in tfjs', () => {
    expect(accepted.length).toBeGreaterThan(0);
    for (const cfg of accepted) {
      const model = compileModel(cfg, [28, 28], cfg.seed);
      expect(model.outputs[0]!.shape).toEqual([null, 10]);
      model.dispose();
    }
    tf.disposeVariables();
  });

  it('trains one batch of real MNIST digits with a sample of them', async () => {
    const sample = accepted.filter((_, i) => i % Math.max(1, Math.floor(accepted.length / 5)) === 0).slice(0, 5);
    expect(sample.length).toBeGreaterThan(0);
    for (const cfg of sample) {
      const model = compileModel(cfg, [28, 28], cfg.seed);
      const n = Math.min(cfg.train.batchSize, data.train.count);
      const x = tf.tensor3d(data.train.images.subarray(0, n * 784), [n, 28, 28]);
      const labels = data.train.labels.subarray(0, n);
      const y =
        cfg.loss === 'sparseCategoricalCrossentropy'
          ? tf.tensor2d(Float32Array.from(labels), [n, 1])
          : tf.tensor2d(oneHot(labels, 10), [n, 10]);
      const loss = await model.trainOnBatch(x, y);
      expect([loss].flat().every((v) => typeof v === 'number')).toBe(true);
      tf.dispose([x, y]);
      model.dispose();
    }
    tf.disposeVariables();
  }, 60_000);
});
