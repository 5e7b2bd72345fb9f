/**
 * A sweep folder's plan.json as a schema: the sweep writes it, compare and report read it to find
 * the sweep's runs and their labels. Types come from here. Pure: no I/O.
 */
import { z } from 'zod';

/** A folder inside the sweep folder: relative, no `..` step, so a plan can never point outside it. */
const insideFolder = z
  .string()
  .min(1)
  .refine((p) => !p.startsWith('/') && !/^[A-Za-z]:/.test(p) && !p.split(/[\\/]/).includes('..'), {
    message: 'expected a folder inside the sweep folder',
  });

export const PlannedRunSchema = z.strictObject({
  id: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, 'expected a run id of letters, digits, _ and - (it names files in the sweep folder)')
    .describe("the run's content id: 16 hex of a sha256 over its resolved config, data and code"),
  label: z.string().describe('what the sweep varies for this run, e.g. `model.layers.1.units=16 seed=2`'),
  overrides: z.array(z.string()).describe('`--set` arguments, sweep-wide ones first'),
  dir: insideFolder.describe('the run folder, relative to the sweep folder'),
});
export type PlannedRun = z.infer<typeof PlannedRunSchema>;

export const SweepPlanSchema = z.strictObject({
  name: z.string().describe("the sweep folder's name"),
  sweepFile: z.string().describe('absolute path of the sweep file'),
  baseConfig: z.string().describe('absolute path of the config every run starts from'),
  codeVersion: z.string().describe('what identifies the code in every content id'),
  runs: z.array(PlannedRunSchema).describe('every planned run, in plan order'),
  duplicates: z
    .array(z.strictObject({ label: z.string(), sameAs: z.string() }))
    .describe("points whose resolved config equals an earlier one's: run once, listed here"),
});
export type SweepPlan = z.infer<typeof SweepPlanSchema>;

/**
 * What a reader of a sweep folder needs from plan.json (compare, report): each run's folder and
 * label. Lenient about everything else, so plans from other versions still read.
 */
export const PlanRunsSchema = z.object({
  runs: z.array(z.object({ dir: PlannedRunSchema.shape.dir, label: PlannedRunSchema.shape.label })),
});
