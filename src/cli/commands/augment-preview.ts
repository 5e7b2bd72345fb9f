import { resolve } from 'node:path';
import type { Argv } from 'yargs';
import { UsageError } from '../../errors.js';
import type { CliEnv } from '../env.js';
import { withFile, withSet } from './options.js';

interface PreviewArgs {
  file: string;
  set: string[];
  output: string;
  digits: number;
  variants: number;
  scale: number;
  seed?: number;
}

/** Each option's allowed range: a grid of thousands of rows helps no one and takes a while to write. */
const LIMITS = { digits: [1, 100], variants: [1, 32], scale: [1, 16] } as const;
/** Seeds are 32-bit, as the config's. */
const MAX_SEED = 2 ** 32 - 1;

function checkArgs(a: PreviewArgs): void {
  for (const [key, [lo, hi]] of Object.entries(LIMITS)) {
    const v = a[key as keyof typeof LIMITS];
    if (!Number.isInteger(v) || v < lo || v > hi)
      throw new UsageError(`--${key} must be a whole number from ${lo} to ${hi}, received ${v}`);
  }
  if (a.seed !== undefined && (!Number.isInteger(a.seed) || a.seed < 0 || a.seed > MAX_SEED)) {
    throw new UsageError(
      `--seed must be a whole number from 0 to ${MAX_SEED}, received ${a.seed}; leave it out to use the config's seed`,
    );
  }
}

/** Draws what the config's augmentation does to a few test digits; loads no tfjs. */
export function augmentPreviewCommand(env: CliEnv) {
  return {
    command: 'augment-preview <file>',
    describe:
      "write a PNG grid of test digits, each followed by augmented versions drawn as the config's augment section would in training",
    builder: (y: Argv) =>
      withSet(withFile(y))
        .option('output', {
          alias: 'o',
          type: 'string',
          default: 'augment-preview.png',
          describe: 'the PNG file to write',
        })
        .option('digits', { type: 'number', default: 8, describe: 'rows: the first N test digits' })
        .option('variants', {
          type: 'number',
          default: 8,
          describe: 'augmented versions per digit (variant k is what epoch k would draw)',
        })
        .option('scale', { type: 'number', default: 3, describe: 'screen pixels per image pixel' })
        .option('seed', {
          type: 'number',
          describe: "seed of the random transformations (default: the config's seed)",
        }),
    handler: async (a: PreviewArgs) => {
      checkArgs(a);
      const { loadDataset } = await import('../../data/dataset.js');
      const { loadAugmentConfig } = await import('../../augment/from-config.js');
      const { makeAugmenter } = await import('../../augment/transform.js');
      const { previewGrid } = await import('../../augment/preview.js');
      const { encodePng } = await import('../../util/png.js');
      const { writeFileAtomic } = await import('../../util/fs.js');
      const { loaded, spec, warnings } = await loadAugmentConfig(resolve(env.cwd, a.file), a.set, env.cwd, a.file);
      for (const w of warnings) env.stderr.write(`warning: ${a.file} ${w.path}: ${w.message}\n`);
      const data = await loadDataset({ path: loaded.dataPath, trainSize: 1, testSize: a.digits });
      const augment = makeAugmenter(spec, a.seed ?? loaded.config.seed, data.rows, data.cols);
      const { images, count } = data.test;
      const grid = previewGrid({
        images,
        count,
        rows: data.rows,
        cols: data.cols,
        augment,
        variants: a.variants,
        scale: a.scale,
      });
      const file = resolve(env.cwd, a.output);
      await writeFileAtomic(file, encodePng(grid));
      env.stdout.write(`${file}\n`);
    },
  };
}
