#!/usr/bin/env node
import { hideBin } from 'yargs/helpers';
import { main } from './cli.js';
import { cliEnv } from './env.js';

/** The executable: the world built once here, then `main` (src/cli/cli.ts), which tests call in-process. */
const env = cliEnv();
main(hideBin(process.argv), env).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`mnist-run: internal error: ${String(err)}\n`);
    process.exitCode = 2;
  },
);
