import { execFileSync } from 'node:child_process';

/**
 * globalSetup of the e2e suite: it spawns the built CLI, so build it from the current sources.
 * Incremental (tsconfig.build.json keeps its build info in dist/), so an unchanged tree costs ~2 s.
 */
export default function setup(): void {
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
}
