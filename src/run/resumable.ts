/** Which run folders `mnist-run resume` can take up: files only, so a sweep can ask without loading tfjs. */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { RUN_FILES } from '../output-files.js';
import type { RunRecord } from './read.js';

export const RESUMABLE: ReadonlySet<RunRecord['status']> = new Set(['interrupted', 'crashed', 'failed']);

/** A run that stopped after at least one epoch's checkpoint: resuming it saves the epochs it trained. */
export async function resumesFromCheckpoint(rec: RunRecord): Promise<boolean> {
  if (!RESUMABLE.has(rec.status)) return false;
  return (await stat(join(rec.dir, RUN_FILES.checkpoint)).catch(() => undefined))?.isFile() ?? false;
}
