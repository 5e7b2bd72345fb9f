import * as tf from '@tensorflow/tfjs';
import type { RunStatus } from './files.js';
import { packageVersion } from './version.js';

export interface RunMeta {
  status: RunStatus;
  argv: string[];
  name: string;
  configFile: string;
  versions: { mnistRun: string; node: string; tfjs: string };
  backend: { name: string; tfName: string; device: string; threads: number };
  seed: number;
  data: {
    source: string;
    files: { role: string; path: string; sha256: string }[];
    trainSamples: number;
    testSamples: number;
  };
  gitCommit: string | null;
  start: string;
  end: string | null;
  error?: string;
}

export function versions(): RunMeta['versions'] {
  return { mnistRun: packageVersion(), node: process.version, tfjs: tf.version.tfjs };
}
