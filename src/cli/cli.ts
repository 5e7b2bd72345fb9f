import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import yargs, { type Argv } from 'yargs';
import { painter } from '../colour.js';
import { didYouMean } from '../config/suggest.js';
import { InterruptedError, isUserError } from '../errors.js';
import { TERMINAL_LEVEL_ENV } from '../log.js';
import { redact } from '../remote/url.js';
import { packageVersion } from '../run/version.js';
import { printCompletionScript, withCompletion } from './commands/completion.js';
import { commands } from './commands/index.js';
import { type CliEnv, SIGNAL_EXIT } from './env.js';

/** The one place errors are caught: typed errors print their message, anything else says it is a bug. */
export async function main(argv: string[], env: CliEnv): Promise<number> {
  const list = commands(env);
  const names = [...list.map((c) => String(c.command).split(' ')[0]!).filter((n) => n !== '$0'), 'completion'];
  let parser: Argv = yargs(argv)
    .scriptName('mnist-run')
    .usage('$0 FILE [--set key=value ...]\n\nTrain the experiment a YAML config describes and write a run folder.')
    .strict()
    .middleware(onlyArraysRepeat as never, true)
    .option('quiet', {
      alias: 'q',
      type: 'boolean',
      global: true,
      describe: 'no progress bar and only warnings and errors on stderr; results still on stdout',
    })
    .option('verbose', { type: 'boolean', global: true, describe: 'debug-level logs on stderr' })
    .conflicts('quiet', 'verbose')
    .middleware(terminalLevel as never, true)
    .recommendCommands()
    .help()
    .alias('h', 'help')
    .version(packageVersion())
    .wrap(Math.min(110, process.stdout.columns || 100))
    .exitProcess(false)
    .fail((msg, err) => {
      throw err ?? new CliUsage(msg);
    });
  for (const command of list) parser = parser.command(command);
  parser = withCompletion(parser);
  try {
    if (printCompletionScript(parser, argv)) return 0;
    unknownCommand(argv, names, env.cwd);
    await parser.parseAsync();
    return env.exitCode();
  } catch (err) {
    return reportError(err, env);
  }
}

/** What the user sees of an error that reached the top, and the exit status: 1 for theirs, 2 for a bug. */
export function reportError(err: unknown, env: CliEnv): number {
  const prefix = painter(env.stderr)('red', 'mnist-run:');
  if (err instanceof CliUsage) {
    env.stderr.write(`${prefix} ${err.message}\nRun \`mnist-run --help\` for usage.\n`);
    return 1;
  }
  if (isUserError(err)) {
    env.stderr.write(`${prefix} ${err.message}\n`);
    const signal = env.stoppedBy();
    return err instanceof InterruptedError && signal ? (SIGNAL_EXIT[signal] ?? err.exitCode) : err.exitCode;
  }
  if (isSystemError(err)) {
    env.stderr.write(`${prefix} ${err.message}\n(check the path, free disk space and permissions)\n`);
    return 1;
  }
  const detail = process.env.MNIST_RUN_DEBUG ? String((err as Error).stack) : String((err as Error).message ?? err);
  env.stderr.write(
    `${prefix} internal error: ${detail}\nThis is a bug in mnist-run; rerun with MNIST_RUN_DEBUG=1 for details.\n`,
  );
  return 2;
}

class CliUsage extends Error {}

/**
 * The default command takes any word as its FILE, so `mnist-run sumary x` or `mnist-run clean` would
 * say a config cannot be read. A first word that is no file and looks like no path (no separator, no
 * .yaml) is taken for a mistyped command and answered with the nearest command names.
 */
function unknownCommand(argv: string[], names: string[], cwd: string): void {
  const word = argv[0];
  if (word === undefined || word.startsWith('-') || names.includes(word)) return;
  if (/[/\\]|\.ya?ml$/i.test(word) || existsSync(resolve(cwd, word))) return;
  const near = didYouMean(word, names);
  const hint = near ? `did you mean \`${near}\`?` : `the commands are ${names.join(', ')}.`;
  throw new CliUsage(
    `unknown command \`${word}\` (nor is it a config file here): ${hint} A config is a path such as configs/ann.yaml`,
  );
}

/** --quiet and --verbose, as the environment variable the logger and progress bar read (a sweep's children inherit it). */
function terminalLevel(argv: { quiet?: boolean; verbose?: boolean }): void {
  if (argv.quiet) process.env[TERMINAL_LEVEL_ENV] = 'warn';
  else if (argv.verbose) process.env[TERMINAL_LEVEL_ENV] = 'debug';
  else delete process.env[TERMINAL_LEVEL_ENV];
}

const kebab = (k: string) => k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/**
 * yargs makes an option given twice an array, which code expecting one value (a path, a URL) cannot
 * take: only options declared as arrays (--set, --data-root) may repeat; any other says so.
 */
function onlyArraysRepeat(argv: Record<string, unknown>, y: { getOptions: () => { array: string[] } }): void {
  const arrays = new Set(y.getOptions().array);
  for (const [key, value] of Object.entries(argv)) {
    if (key === '_' || key === '$0' || !Array.isArray(value) || arrays.has(key) || arrays.has(kebab(key))) continue;
    // The values may be URLs with a password in them (--queue): shown without it.
    throw new CliUsage(`--${kebab(key)} was given ${value.length} times (${redact(value.join(', '))}): give it once`);
  }
}

/** Node's file-system errors (ENOSPC, EACCES, EISDIR…) carry a syscall and name their path: a user can act on them. */
function isSystemError(err: unknown): err is NodeJS.ErrnoException {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).syscall === 'string';
}
