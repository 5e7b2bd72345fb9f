/**
 * What travels on the queue, both ways, as schemas. A job is data only: the resolved config as
 * YAML text, the data's checksums and the code version, which together are the run's content id,
 * so a worker can check that what it got is what was planned. A result is a manifest of files
 * (src/remote/transfer.ts) and a few facts about where and how long it ran. Workers and the
 * coordinator parse everything they take off the wire with these before acting on it.
 */
import { z } from 'zod';
import { contentId } from '../sweep/content-id.js';
import { ManifestSchema } from './transfer.js';

/** The BullMQ queue every sweep and worker shares, under its own key prefix in Redis. */
export const QUEUE_NAME = 'runs';
export const QUEUE_PREFIX = 'mnist-run';

/** A run id: 16 hex of its content hash (src/sweep/content-id.ts). It names folders, so nothing else passes. */
export const RunIdSchema = z.string().regex(/^[0-9a-f]{16}$/, 'expected a run id: 16 hexadecimal digits');

export const JobDataSchema = z.strictObject({
  v: z.literal(1),
  sweep: z.string().max(200).describe('the sweep it belongs to, for people reading the queue'),
  label: z.string().max(2000).describe('what the sweep varies for this run'),
  config: z.string().min(1).max(1_000_000).describe('config.resolved.yaml: the whole experiment, defaults filled'),
  dataSha256: z
    .array(z.string().regex(/^[0-9a-f]{64}$/))
    .min(1)
    .max(8)
    .describe('sha256 of each data file the run trains and tests on'),
  codeVersion: z.string().max(200).describe("the coordinator's package version and git commit"),
});
export type JobData = z.infer<typeof JobDataSchema>;

export const ResultSchema = z.strictObject({
  v: z.literal(1),
  worker: z.string().max(300),
  codeVersion: z.string().max(200),
  /** The worker only checked the job (`mnist-run worker --no-train`): there is no run folder. */
  validatedOnly: z.boolean(),
  manifest: ManifestSchema,
  trainMs: z.number().nonnegative(),
  uploadMs: z.number().nonnegative(),
});
export type RunResult = z.infer<typeof ResultSchema>;

/** Retries are for the machinery (a killed process, a lost connection): a run's own failure is final. */
export const JOB_OPTIONS = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 5000 },
  removeOnComplete: false,
  removeOnFail: false,
} as const;

/** Why `data` cannot be the job `id` claims to be, if it cannot. */
export function contentProblem(id: string, data: JobData): string | undefined {
  const own = contentId({ resolvedYaml: data.config, dataSha256: data.dataSha256, codeVersion: data.codeVersion });
  return own === id ? undefined : `its content hashes to ${own}, not to its id ${id}: it was changed on the way`;
}

/** The first problem zod found in a value off the wire, as one line: `dataSha256[0]: expected …`. */
export function firstIssue(err: z.ZodError): string {
  const i = err.issues[0]!;
  const at = i.path
    .map((k) => (typeof k === 'number' ? `[${k}]` : `.${String(k)}`))
    .join('')
    .replace(/^\./, '');
  return `${at || 'the value'}: ${i.message}`;
}
