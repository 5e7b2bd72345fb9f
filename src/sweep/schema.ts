import { z } from 'zod';

/** `path: value` pairs; each becomes `--set path=value` on the run's command line. */
const overrides = z
  .record(
    z.string().regex(/^[A-Za-z_]\w*(\.\w+)*$/, 'expected a dotted config path like model.layers.1.units'),
    z.unknown(),
  )
  .describe('config overrides: dotted path (numeric parts index lists) → value');

/**
 * One grid axis. A list varies one config path; a map of named override sets varies several paths
 * together (e.g. the activation of every hidden layer at once) and names each value.
 */
const axis = z.union([
  z
    .array(z.unknown())
    .min(1, 'expected at least one value for the axis (remove the axis to keep the base value)')
    .describe('the values the path takes'),
  z.record(z.string(), overrides).describe('named sets of overrides that form one axis'),
]);

/** More runs than this is a typo (seeds: 1e9 aborted V8 planning them), not a sweep anyone waits for. */
export const MAX_RUNS = 10_000;

export const SweepSchema = z
  .strictObject({
    name: z
      .string()
      .regex(/[A-Za-z0-9]/, 'expected a name with a letter or digit in it: it names the folder sweeps/<name>')
      .optional()
      .describe(
        'sweep folder name under --out (default: the file name); other characters than A-Z a-z 0-9 . _ - become -',
      ),
    description: z.string().optional().describe('what the sweep is for'),
    base: z.string().min(1).describe('the experiment config every run starts from, relative to this file'),
    set: overrides.optional().describe('overrides applied to every run (e.g. a shorter training)'),
    grid: z.record(z.string(), axis).optional().describe('axes whose cartesian product gives the runs'),
    variants: z
      .record(z.string(), overrides)
      .optional()
      .describe('extra named runs, each the base plus its overrides (not crossed with the grid)'),
    seeds: z
      .union([
        z.number().int().positive().max(MAX_RUNS),
        z
          .array(
            z
              .number()
              .int()
              .nonnegative()
              .max(2 ** 32 - 1),
          )
          .min(1)
          .max(MAX_RUNS),
      ])
      .optional()
      .describe('replicates of every point: a list of seeds, or N for seeds 1..N'),
    random: z
      .strictObject({
        count: z.number().int().positive().max(MAX_RUNS).describe('how many grid points to sample'),
        seed: z
          .number()
          .int()
          .nonnegative()
          .max(2 ** 32 - 1)
          .default(0)
          .describe('seed of the sampling'),
      })
      .optional()
      .describe('run a random sample of the grid instead of all of it'),
  })
  .describe('an mnist-run sweep: a base config and how to vary it');

export type SweepSpec = z.infer<typeof SweepSchema>;
export type Overrides = Record<string, unknown>;
export type Axis = z.infer<typeof axis>;
