import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import type { RunStatus } from './files.js';

/** Root of the installed package: src/run/ and dist/run/ both sit two levels below it. */
export const PACKAGE_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

/** The commit of the checkout mnist-run runs from, or null outside git (an npm install, say). */
export async function gitCommit(): Promise<string | null> {
  try {
    const { stdout } = await promisify(execFile)('git', ['rev-parse', 'HEAD'], { cwd: PACKAGE_ROOT, timeout: 5000 });
    return stdout.trim() || null;
  } catch {
    return null;
  }
}

export interface RunMeta {
  status: RunStatus;
  argv: string[];
  name: string;
  configFile: string;
  versions: { mnistRun: string; node: string; tfjs: string };
  backend: { name: string; tfName: string; device: string; threads: number };
  seed: number;
  data: { source: string; files: { role: string; path: string; sha256: string }[]; trainSamples: number; testSamples: number };
  gitCommit: string | null;
  start: string;
  end: string | null;
  error?: string;
}

export function versions(): RunMeta['versions'] {
  return { mnistRun: packageVersion(), node: process.version, tfjs: tf.version.tfjs };
}
