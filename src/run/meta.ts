import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { RUN_FILES } from '../output-files.js';
import { writeFileAtomic, writeFileAtomicSync } from '../util/fs.js';
import { formatJson, MetaSchema, type RunMeta } from './format.js';
import { packageVersion } from './version.js';

/** meta.json, checked against its schema, written whole: at the start of a run and again at its end. */
export async function writeMeta(runDir: string, meta: RunMeta): Promise<void> {
  await writeFileAtomic(join(runDir, RUN_FILES.meta), formatJson(RUN_FILES.meta, MetaSchema, meta));
}

/** writeMeta for a forced exit: synchronous, because the process ends right after. */
export function writeMetaSync(runDir: string, meta: RunMeta): void {
  writeFileAtomicSync(join(runDir, RUN_FILES.meta), formatJson(RUN_FILES.meta, MetaSchema, meta));
}

export function versions(): RunMeta['versions'] {
  return { mnistRun: packageVersion(), node: process.version, tfjs: tf.version.tfjs };
}
