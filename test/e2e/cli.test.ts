import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeIdx } from '../../src/data/idx.js';
import { CLI, runCli } from '../helpers/cli.js';
import { writeNoTfjsGuard } from '../helpers/no-tfjs.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mnist-run-cli-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const noStack = (s: string) => expect(s).not.toMatch(/\n\s+at /);

describe('--help', () => {
  it.each(['', 'validate', 'summary', 'schema', 'doctor', 'bench', 'sweep', 'compare', 'report'])(
    'is there for %s',
    async (command) => {
      const res = await runCli([...(command ? [command] : []), '--help']);
      expect(res.code).toBe(0);
      expect(res.stdout).toMatch(command ? new RegExp(`mnist-run ${command}`) : /mnist-run FILE/);
    },
  );
});

describe('mnist-run validate', () => {
  it('says ok for each shipped config, and shows warnings', async () => {
    const ok = await runCli(['validate', 'configs/cnn.yaml']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(
      /^configs\/cnn\.yaml: ok\n {2}601,578 parameters; training needs about \d+\.\d MiB of this machine's [\d.]+ GiB \(weights 2\.3 MiB, .*\)\n$/,
    );
    const warned = await runCli(['validate', 'configs/ann-seed.yaml']);
    expect(warned.code).toBe(0);
    expect(warned.stdout).toMatch(/^warning: configs\/ann-seed\.yaml loss: .*softmax/m);
  });

  it('locates a bad value by file, line and column, with exit status 1 and no stack', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(file, 'model:\n  layers:\n    - type: flatten\n    - type: dense\n      units: -3\n');
    const res = await runCli(['validate', file]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(
      'bad.yaml:5:14 model.layers[1].units: expected a positive integer up to 1048576, received -3',
    );
    noStack(res.stderr);
  });

  it('answers --json with the resolved config', async () => {
    const res = await runCli(['validate', 'configs/ann.yaml', '--json', '--set', 'train.epochs=3']);
    expect(JSON.parse(res.stdout)).toMatchObject({ ok: true, config: { train: { epochs: 3 } } });
  });

  it('never loads tfjs', async () => {
    const guard = await writeNoTfjsGuard(dir);
    const res = spawnSync(process.execPath, ['--require', guard, CLI, 'validate', 'configs/cnn.yaml'], {
      encoding: 'utf8',
    });
    expect([res.status, res.stderr]).toEqual([0, '']);
    const control = spawnSync(process.execPath, ['--require', guard, CLI, 'summary', 'configs/cnn.yaml'], {
      encoding: 'utf8',
    });
    expect(control.stderr).toMatch(/tfjs loaded/); // the guard does catch a command that loads it
  });
});

describe('mnist-run summary', () => {
  it("prints the notebook CNN's parameter counts as Keras does", async () => {
    const res = await runCli(['summary', 'configs/cnn.yaml']);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/conv2d_1 \(Conv2D\)\s+\(None, 26, 26, 32\)\s+320\n/);
    expect(res.stdout).toContain('Total params: 601,578\nTrainable params: 601,194\nNon-trainable params: 384');
  });

  it('gives the ANN counts as JSON', async () => {
    const res = await runCli(['summary', 'configs/ann-seed.yaml', '--json']);
    const s = JSON.parse(res.stdout);
    expect(s.layers.map((l: { params: number }) => l.params).filter((p: number) => p > 0)).toEqual([
      401_920, 65_664, 1_290,
    ]);
  });
});

describe('mnist-run schema', () => {
  it('prints a JSON Schema with descriptions, without loading tfjs', async () => {
    const guard = await writeNoTfjsGuard(dir);
    const res = spawnSync(process.execPath, ['--require', guard, CLI, 'schema'], { encoding: 'utf8' });
    expect(res.status).toBe(0);
    const schema = JSON.parse(res.stdout);
    expect(schema.properties.train.description).toEqual(expect.any(String));
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(['data', 'model', 'loss', 'optimizer', 'train', 'seed']),
    );
  });
});

describe('mnist-run doctor', () => {
  it('lists every backend with its status, and a fix for those that do not load', async () => {
    const res = await runCli(['doctor', '--json']);
    expect(res.code).toBe(0);
    const d = JSON.parse(res.stdout);
    expect(d.backends.map((b: { name: string }) => b.name)).toEqual([
      'tensorflow-gpu',
      'webgpu',
      'tensorflow',
      'onednn',
      'wasm',
      'cpu',
    ]);
    expect(d.backends.find((b: { name: string }) => b.name === 'tensorflow-gpu')).toMatchObject({
      ok: false,
      fix: expect.stringMatching(/CUDA/),
    });
    expect(d.backends.find((b: { name: string }) => b.name === 'wasm').ok).toBe(true);
    expect(d.auto).toBe(d.backends.find((b: { ok: boolean }) => b.ok).name);
  });
});

describe('usage errors', () => {
  it('names an unknown command or option and exits 1', async () => {
    const res = await runCli(['validate', 'configs/cnn.yaml', '--bogus']);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/Unknown argument: bogus/);
    noStack(res.stderr);
  });

  it('says when the config file does not exist', async () => {
    const res = await runCli(['validate', 'configs/nope.yaml']);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/nope\.yaml/);
    noStack(res.stderr);
  });
});

describe('limits before work: exit 1 with a located message, never an internal error', () => {
  const bomb = [
    'a: &a [x, x, x, x, x, x, x, x, x]',
    ...'bcdefgh'.split('').map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcdefg'[i]}`).join(', ')}]`),
  ];

  it('refuses a YAML alias bomb at the anchor it multiplies', async () => {
    const file = join(dir, 'bomb.yaml');
    await writeFile(
      file,
      `${bomb.join('\n')}\nmodel: {layers: [{type: flatten}, {type: dense, units: 10, activation: softmax}]}\n`,
    );
    const res = await runCli(['validate', file]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/bomb\.yaml:2:8 not valid YAML: the aliases expand to more than 100 copies/);
    noStack(res.stderr);
  });

  it('refuses a model too large for memory before training, writing no run folder', async () => {
    const file = join(dir, 'huge.yaml');
    await writeFile(
      file,
      'data: {trainSize: 64, testSize: 64}\nmodel:\n  layers:\n    - {type: flatten}\n    - {type: dense, units: 1000000}\n    - {type: dense, units: 1000000}\n    - {type: dense, units: 10, activation: softmax}\n',
    );
    const runs = join(dir, 'huge-runs');
    for (const args of [
      ['validate', file],
      ['summary', file],
      [file, '--out', runs, '--backend', 'cpu'],
    ]) {
      const res = await runCli(args);
      expect(res.code).toBe(1);
      expect(res.stderr).toMatch(
        /huge\.yaml:6:\d+ model\.layers\[2\]\.units: its weights would be one tensor of 1,000,001,000,000 values, over the 2,147,483,647 tfjs can hold/,
      );
      noStack(res.stderr);
    }
    expect(existsSync(runs)).toBe(false);
  });

  it('refuses a data folder whose images and classes do not fit the config, naming the files', async () => {
    const data = join(dir, 'data16');
    await mkdir(data);
    const labels = (n: number) => Array.from({ length: n }, (_, i) => i % 3);
    await writeFile(join(data, 'train-images-idx3-ubyte'), writeIdx([9, 16, 16], new Uint8Array(9 * 256)));
    await writeFile(join(data, 'train-labels-idx1-ubyte'), writeIdx([9], labels(9)));
    await writeFile(join(data, 't10k-images-idx3-ubyte'), writeIdx([3, 16, 16], new Uint8Array(3 * 256)));
    await writeFile(join(data, 't10k-labels-idx1-ubyte'), writeIdx([3], labels(3)));
    const file = join(dir, 'mismatch.yaml');
    await writeFile(
      file,
      'data: {path: data16}\nmodel:\n  layers:\n    - {type: reshape, targetShape: [28, 28, 1]}\n    - {type: flatten}\n    - {type: dense, units: 10, activation: softmax}\n',
    );
    const runs = join(dir, 'mismatch-runs');
    for (const args of [
      ['validate', file],
      [file, '--out', runs, '--backend', 'cpu'],
    ]) {
      const res = await runCli(args);
      expect(res.code).toBe(1);
      expect(res.stderr).toContain(
        `mismatch.yaml:4:36 model.layers[0].targetShape: [28, 28, 1] holds 784 values but its input [16, 16] holds 256; the products must match (data.path: 16×16 images in ${join(data, 'train-images-idx3-ubyte')}, labels 0-2 in ${join(data, 'train-labels-idx1-ubyte')})`,
      );
      noStack(res.stderr);
    }
    expect(existsSync(runs)).toBe(false);
  });
});

describe('the CLI at its edges', () => {
  it('prints its version with --version', async () => {
    const { version } = JSON.parse(await readFile(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8'));
    const res = await runCli(['--version']);
    expect(res).toMatchObject({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  it('stops quietly when the reader of its output closes the pipe (schema | head -1)', () => {
    const res = spawnSync('bash', ['-c', `set -o pipefail; node ${JSON.stringify(CLI)} schema | head -c 1`], {
      encoding: 'utf8',
    });
    expect(res.stdout).toBe('{');
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
  });
});

describe('a mistyped command', () => {
  it('suggests the nearest command for `sumary FILE`, exit 1', async () => {
    const res = await runCli(['sumary', 'configs/ann.yaml']);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^mnist-run: unknown command `sumary` .*did you mean `summary`\?/);
    expect(res.stderr).not.toMatch(/Unknown argument/);
    noStack(res.stderr);
  });

  it('takes a bare word that is no file for a command, not a config (`clean`), listing the commands', async () => {
    const res = await runCli(['clean'], { cwd: dir });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/unknown command `clean` .*the commands are .*sweep/);
    expect(res.stderr).not.toMatch(/cannot read the config file/);
  });

  it('still reads a config named by a path or .yaml, and a bare word that is a file', async () => {
    const missing = await runCli(['nope.yaml'], { cwd: dir });
    expect(missing.stderr).toMatch(/cannot read the config file/);
    await writeFile(join(dir, 'experiment'), 'seed: [\n');
    const bare = await runCli(['experiment'], { cwd: dir });
    expect(bare.code).toBe(1);
    expect(bare.stderr).not.toMatch(/unknown command/);
  });
});

describe('colour', () => {
  const noColourEnv = { NO_COLOR: undefined, FORCE_COLOR: undefined };
  it('never colours a pipe; FORCE_COLOR makes the error prefix red; NO_COLOR wins over it', async () => {
    const plain = await runCli(['validate', 'configs/nope.yaml'], { env: noColourEnv });
    expect(plain.stderr).toMatch(/^mnist-run: /);
    expect(plain.stderr).not.toContain('\x1b[');
    const forced = await runCli(['validate', 'configs/nope.yaml'], { env: { ...noColourEnv, FORCE_COLOR: '1' } });
    expect(forced.stderr.startsWith('\x1b[31mmnist-run:\x1b[39m configs/nope.yaml')).toBe(true);
    const both = await runCli(['validate', 'configs/nope.yaml'], { env: { FORCE_COLOR: '1', NO_COLOR: '1' } });
    expect(both.stderr).not.toContain('\x1b[');
  });

  it('doctor greens the backends that load with FORCE_COLOR=1, only those, and nothing with NO_COLOR=1', async () => {
    const forced = await runCli(['doctor'], { env: { ...noColourEnv, FORCE_COLOR: '1' } });
    expect(forced.code, forced.stderr).toBe(0);
    const lines = forced.stdout.split('\n');
    const cpu = lines.find((l) => l.includes(' cpu '))!;
    expect([cpu.startsWith('\x1b[32m  ok    cpu '), cpu.endsWith('\x1b[39m')], cpu).toEqual([true, true]);
    expect(lines.filter((l) => l.includes('\x1b[')).every((l) => l.startsWith('\x1b[32m  ok '))).toBe(true);
    const both = await runCli(['doctor'], { env: { FORCE_COLOR: '1', NO_COLOR: '1' } });
    expect(both.code, both.stderr).toBe(0);
    expect(both.stdout).not.toContain('\x1b[');
    expect(both.stdout).toMatch(/^ {2}ok {4}cpu /m);
  });

  it('a sweep’s child (--stop-with-parent) never colours its log, even with FORCE_COLOR', async () => {
    const args = ['configs/nope.yaml', '--run-dir', join(dir, 'child'), '--stop-with-parent'];
    const res = await runCli(args, { env: { ...noColourEnv, FORCE_COLOR: '1' } });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^mnist-run: configs\/nope\.yaml/);
  });
});

describe('mnist-run completion', () => {
  it('prints a completion script that calls the CLI by its name', async () => {
    const res = await runCli(['completion'], { env: { SHELL: '/bin/bash' } });
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('mnist-run --get-yargs-completions');
    expect(res.stdout).toContain('complete -o bashdefault -o default -F _mnist-run_yargs_completions mnist-run');
    expect(res.stderr).toBe('');
  });

  it('answers the script’s entry point: commands by prefix, then a command’s options', async () => {
    const sw = await runCli(['--get-yargs-completions', 'mnist-run', 'sw']);
    expect(sw).toMatchObject({ code: 0, stdout: 'sweep\n' });
    const all = await runCli(['--get-yargs-completions', 'mnist-run', '']);
    expect(all.stdout.split('\n')).toEqual(expect.arrayContaining(['sweep', 'validate', 'worker', 'completion']));
    expect(all.stdout).not.toContain('$0');
    const opt = await runCli(['--get-yargs-completions', 'mnist-run', 'sweep', '--par']);
    expect(opt.stdout).toBe('--parallel\n');
  });
});

describe('options that would be ignored are refused', () => {
  it('sweep --queue --backend: the workers choose theirs', async () => {
    const res = await runCli([
      'sweep',
      'configs/exercise.sweep.yaml',
      '--queue',
      'redis://127.0.0.1:1',
      '--backend',
      'wasm',
    ]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/--backend wasm is for a sweep on this machine; .*mnist-run worker --backend wasm/);
    noStack(res.stderr);
  });

  it('train --out with --run-dir', async () => {
    const res = await runCli(['configs/ann.yaml', '--out', dir, '--run-dir', join(dir, 'r')]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/--run-dir .*--out would be ignored/);
    expect(existsSync(join(dir, 'r'))).toBe(false);
  });
});

describe('--quiet and the log lines', () => {
  it('a tiny run: results on stdout, nothing on stderr with --quiet; one-line, rounded logs without', async () => {
    const args = [
      'configs/ann.yaml',
      '--set',
      'data.trainSize=300',
      '--set',
      'train.epochs=1',
      '--out',
      join(dir, 'q'),
    ];
    const quiet = await runCli([...args, '--quiet']);
    expect(quiet.code).toBe(0);
    expect(quiet.stdout).toMatch(/q\/.*_ann_\w+\n$/);
    expect(quiet.stderr).toBe('');
    const normal = await runCli(args);
    expect(normal.code).toBe(0);
    const started = normal.stderr.split('\n').find((l) => l.includes('run started'))!;
    expect(started).toMatch(/skipped=(\S+: [^;]+)(; \S+: [^;]+)*$/);
    expect(started).not.toContain('[{');
    expect(normal.stderr).toMatch(/run completed testAccuracy=\d\.\d{1,4} testLoss=\d\.\d{1,3}\n/);
  }, 60_000);

  it('--quiet and --verbose do not go together', async () => {
    const res = await runCli(['validate', 'configs/ann.yaml', '--quiet', '--verbose']);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/mutually exclusive/);
  });
});
