/**
 * Micro-benchmark script, not a module to import: `npx vite-node bench/augment-bench.ts`. Augments every MNIST training image in batches of 64,
 * as one training epoch would, for a few specs, and prints µs per image and seconds per epoch.
 * Both wall time and this process's CPU time are shown: on a shared, busy machine the wall time
 * includes waiting for a core, and the CPU time is what the work costs on a core of its own.
 */

import { makeAugmenter } from '../src/augment/transform.js';
import { AugmentSchema, type AugmentSpec } from '../src/config/augment.js';
import { loadDataset } from '../src/data/dataset.js';

const BATCH = 64;
const CNN_AUGMENT = {
  rotationRange: 10,
  widthShiftRange: 0.1,
  heightShiftRange: 0.1,
  zoomRange: 0.1,
  shearRange: 10,
  fillMode: 'constant',
};

const SPECS: [string, Partial<AugmentSpec>][] = [
  ['no-op (copy only)', {}],
  ['rotation 10', { rotationRange: 10 }],
  ['configs/cnn-augment.yaml', CNN_AUGMENT as Partial<AugmentSpec>],
  ['same, fill nearest', { ...CNN_AUGMENT, fillMode: 'nearest' } as Partial<AugmentSpec>],
  [
    'strong, fill reflect',
    {
      rotationRange: 40,
      widthShiftRange: 0.3,
      heightShiftRange: 0.3,
      zoomRange: [0.6, 1.4],
      shearRange: 30,
      fillMode: 'reflect',
    },
  ],
];

interface Timing {
  wall: number;
  cpu: number;
}

/** Seconds (wall and CPU) to augment `count` images batch by batch, best of `repeats` (the first warms the JIT). */
function epochSeconds(spec: AugmentSpec, images: Float32Array, count: number, size: number, repeats: number): Timing {
  const augment = makeAugmenter(spec, 1, 28, 28);
  const best = { wall: Infinity, cpu: Infinity };
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    for (let b = 0, start = 0; start < count; b++, start += BATCH) {
      const n = Math.min(BATCH, count - start);
      augment(images.subarray(start * size, (start + n) * size), n, r + 1, b);
    }
    const cpu = process.cpuUsage(c0);
    best.wall = Math.min(best.wall, (performance.now() - t0) / 1000);
    best.cpu = Math.min(best.cpu, (cpu.user + cpu.system) / 1e6);
  }
  return best;
}

const show = (seconds: number, count: number) =>
  `${((seconds / count) * 1e6).toFixed(2).padStart(7)} µs/image ${seconds.toFixed(2).padStart(6)} s/epoch`;

const data = await loadDataset({});
const { images, count } = data.train;
const size = data.rows * data.cols;
process.stdout.write(
  `augmenting ${count} ${data.rows}x${data.cols} images in batches of ${BATCH}, best of 3: wall | cpu\n`,
);
for (const [name, partial] of SPECS) {
  const s = epochSeconds(AugmentSchema.parse(partial), images, count, size, 3);
  process.stdout.write(`${name.padEnd(26)} ${show(s.wall, count)} | ${show(s.cpu, count)}\n`);
}
