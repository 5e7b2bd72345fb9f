import { defineConfig } from 'vitest/config';

/**
 * Three suites. `unit` runs the sources directly and needs no build: the inner loop
 * (`npm run test:unit`); its files share a process per worker. `e2e` spawns the built CLI in real
 * child processes, so it builds first, and each of its files has a process of its own.
 */
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // tfjs kernels are CPU-bound; more workers than cores only slows each test down.
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    // A process per file costs ~0.6 s of imports (tfjs, the sources) per file: the unit files share
    // a process per worker (test/helpers/fresh-state.ts resets what they change). Isolation is one
    // setting for all projects, so the e2e suite asks for it on its command line (npm run test:e2e,
    // which `npm test` and `make test` run). `webgpu` is the GPU backend on SwiftShader.
    isolate: false,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/e2e/**', 'test/webgpu/**'],
          setupFiles: ['test/helpers/fresh-state.ts'],
        },
      },
      {
        extends: true,
        test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], globalSetup: ['test/helpers/build.ts'] },
      },
      {
        // The GPU code path on SwiftShader (a CPU emulating a GPU: seconds per step). A process per
        // file, like e2e: each holds one Dawn device.
        extends: true,
        test: {
          name: 'webgpu',
          include: ['test/webgpu/**/*.test.ts'],
          setupFiles: ['test/helpers/webgpu-env.ts'],
          globalSetup: ['test/helpers/build.ts'],
          testTimeout: 600_000,
        },
      },
    ],
  },
});
