import { execFileSync } from 'node:child_process';

/** vitest globalSetup: the end-to-end tests spawn the built CLI, so build it from the current sources once. */
export default function setup(): void {
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
}
