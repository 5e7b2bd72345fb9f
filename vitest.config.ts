import { defineConfig } from 'vitest/config';

/**
 * Two suites. `unit` runs the sources directly and needs no build: the inner loop
 * (`npm run test:unit`). `e2e` spawns the built CLI in real child processes, so it builds first.
 */
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // tfjs kernels are CPU-bound; more workers than cores only slows each test down.
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: ['test/e2e/**'] },
      },
      {
        extends: true,
        test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], globalSetup: ['test/helpers/build.ts'] },
      },
    ],
  },
});
