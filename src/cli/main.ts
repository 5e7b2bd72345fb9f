#!/usr/bin/env node
import { hideBin } from 'yargs/helpers';
import { main } from './cli.js';
import { cliEnv } from './env.js';

/** The executable: the world built once here, then `main` (src/cli/cli.ts), which tests call in-process. */
const env = cliEnv();
// A reader that has read enough (`mnist-run schema | head -3`) closes the pipe: not an error of ours,
// nor the user's. Say nothing and stop, as `cat` and `git` do.
for (const stream of [process.stdout, process.stderr])
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    process.exit(0);
  });
main(hideBin(process.argv), env).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`mnist-run: internal error: ${String(err)}\n`);
    process.exitCode = 2;
  },
);
