import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RUN_FILES } from '../output-files.js';
import { MetaSchema } from '../run/format.js';
import { writeMeta } from '../run/meta.js';

/**
 * The run says `interrupted` with the training loop's words; when no signal but its parent's death
 * stopped it, meta.json says that instead. Only an interrupted run of the current format is touched.
 */
export async function recordStopReason(runDir: string, reason: string): Promise<void> {
  const raw = await readFile(join(runDir, RUN_FILES.meta), 'utf8').catch(() => undefined);
  if (raw === undefined) return; // it had not started: nothing written, nothing to correct
  const meta = MetaSchema.safeParse(JSON.parse(raw));
  if (!meta.success || meta.data.status !== 'interrupted') return;
  await writeMeta(runDir, { ...meta.data, error: `${reason}; stopped after the batch it was training` });
}
