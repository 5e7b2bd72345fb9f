import { closeSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { SelectedBackend } from '../backend/select.js';
import { UserError } from '../errors.js';
import { RUN_FILES } from '../output-files.js';
import { writeFileAtomic, writeFileAtomicSync } from '../util/fs.js';
import { formatJson, MetaSchema, type RunMeta } from './format.js';
import { HEARTBEAT_MS } from './liveness.js';
import { packageVersion } from './version.js';

/** meta.json, checked against its schema, written whole. */
export async function writeMeta(runDir: string, meta: RunMeta): Promise<void> {
  await writeFileAtomic(join(runDir, RUN_FILES.meta), formatJson(RUN_FILES.meta, MetaSchema, meta));
}

/** writeMeta for a process's last moment (a forced exit), when nothing async will run again. */
export function writeMetaSync(runDir: string, meta: RunMeta): void {
  writeFileAtomicSync(join(runDir, RUN_FILES.meta), formatJson(RUN_FILES.meta, MetaSchema, meta));
}

/** The run's last status could not be recorded: the command must say so and exit non-zero. */
export class StatusNotWrittenError extends UserError {}

/**
 * A running run's meta.json: the one place its status, heartbeat and end are written. Writes go
 * one at a time, so a late heartbeat never lands over the final status.
 */
export class MetaFile {
  #meta: RunMeta;
  #writing: Promise<unknown> = Promise.resolve();
  #timer?: NodeJS.Timeout;
  readonly #path: string;

  constructor(
    runDir: string,
    meta: RunMeta,
    private readonly now: () => Date,
  ) {
    this.#path = join(runDir, RUN_FILES.meta);
    this.#meta = meta;
  }

  get current(): RunMeta {
    return this.#meta;
  }

  write(patch: Partial<RunMeta> = {}): Promise<void> {
    this.#meta = { ...this.#meta, ...patch };
    const text = formatJson(RUN_FILES.meta, MetaSchema, this.#meta);
    const done = this.#writing.catch(() => undefined).then(() => writeFileAtomic(this.#path, text));
    this.#writing = done;
    return done;
  }

  /**
   * Rewrites the heartbeat every HEARTBEAT_MS while the run trains (between batches: a step gives
   * the event loop no turn). A failed beat (a full disk) is told once and training goes on.
   */
  startHeartbeat(onError: (err: Error) => void): void {
    let told = false;
    this.#timer = setInterval(() => {
      this.write({ heartbeat: this.now().toISOString() }).catch((err: Error) => {
        if (!told) onError(err);
        told = true;
      });
    }, HEARTBEAT_MS);
    this.#timer.unref();
  }

  /**
   * The final status. When the atomic write fails (no space for its temp file), the file is
   * rewritten in place: its blocks are already allocated, so that needs no free space, at the cost
   * of atomicity for this one last write. If that fails too, the error says what the folder claims.
   */
  async finish(status: RunMeta['status'], error?: string): Promise<void> {
    clearInterval(this.#timer);
    const patch = { status, end: this.now().toISOString(), ...(error !== undefined && { error }) };
    try {
      await this.write(patch);
    } catch (err) {
      try {
        overwriteInPlace(this.#path, formatJson(RUN_FILES.meta, MetaSchema, this.#meta));
      } catch {
        throw new StatusNotWrittenError(
          `the run ended ${status}, but ${this.#path} could not record it (${(err as Error).message}); ` +
            'it still says running, and listings show the run as crashed. Free some disk space.',
        );
      }
    }
  }

  /** The final status when the process ends right now (a second Ctrl-C): synchronous. */
  finishSync(status: RunMeta['status'], error: string): void {
    clearInterval(this.#timer);
    this.#meta = { ...this.#meta, status, error, end: this.now().toISOString() };
    const text = formatJson(RUN_FILES.meta, MetaSchema, this.#meta);
    try {
      writeFileAtomicSync(this.#path, text);
    } catch {
      overwriteInPlace(this.#path, text);
    }
  }
}

function overwriteInPlace(path: string, text: string) {
  const fd = openSync(path, 'r+');
  try {
    const bytes = Buffer.from(text);
    writeSync(fd, bytes, 0, bytes.length, 0);
    ftruncateSync(fd, bytes.length);
  } finally {
    closeSync(fd);
  }
}

/** meta.json's backend: the one a run trains on, with its GPU adapter where it has one. */
export function backendMeta(b: SelectedBackend): RunMeta['backend'] {
  return {
    name: b.name,
    tfName: b.tfName,
    device: b.device,
    threads: b.threads,
    ...(b.adapter && { adapter: b.adapter }),
  };
}

export function versions(): RunMeta['versions'] {
  return { mnistRun: packageVersion(), node: process.version, tfjs: tf.version.tfjs };
}
