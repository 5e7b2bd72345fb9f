/** The world a command sees: streams, clock, cwd, argv and the Ctrl-C flag, built once here. */
export interface CliEnv {
  cwd: string;
  argv: string[];
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  now: () => Date;
  /** True once Ctrl-C was pressed; a second Ctrl-C exits at once. */
  interrupted: () => boolean;
  /** Commands that finish normally but want a non-zero status (validate with errors) set it here. */
  setExitCode: (code: number) => void;
  exitCode: () => number;
}

export function cliEnv(): CliEnv {
  let stop = false;
  let code = 0;
  process.on('SIGINT', () => {
    if (stop) process.exit(130);
    stop = true;
    process.stderr.write('\nmnist-run: stopping after the current batch (Ctrl-C again to quit at once)\n');
  });
  return {
    cwd: process.cwd(),
    argv: process.argv.slice(1),
    stdout: process.stdout,
    stderr: process.stderr,
    now: () => new Date(),
    interrupted: () => stop,
    setExitCode: (c) => {
      code = c;
    },
    exitCode: () => code,
  };
}
