import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';

/**
 * A run folder as the trainer leaves it, minus the model: compare reads files only. Its meta.json and
 * summary.json have no formatVersion and few fields: format version 0, as older mnist-run wrote them.
 */
export async function fakeRun(
  dir: string,
  config: object,
  acc?: number,
  extra: { status?: string; skip?: string[] } = {},
) {
  await mkdir(dir, { recursive: true });
  const files: Record<string, string> = {
    'config.resolved.yaml': stringify(config),
    'meta.json': JSON.stringify({ status: extra.status ?? 'completed' }),
    'summary.json': JSON.stringify({
      testAccuracy: acc,
      testLoss: 1 - (acc ?? 0),
      bestEpoch: 2,
      epochsRun: 2,
      trainSeconds: 10,
      trainSamplesPerSecond: 6000,
    }),
    'metrics.jsonl': '{"epoch":1,"loss":0.5}\n{"epoch":2,"loss":0.3}\n{"epo',
  };
  for (const [name, text] of Object.entries(files))
    if (!extra.skip?.includes(name)) await writeFile(join(dir, name), text);
}

export const cfg = (act: string, seed: number, lr = 0.01) => ({
  seed,
  loss: 'categoricalCrossentropy',
  optimizer: { type: 'adam', learningRate: lr },
  model: { layers: [{ type: 'dense', units: 8, activation: act }] },
});
