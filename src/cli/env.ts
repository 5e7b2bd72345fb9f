/** The world a command sees: streams, clock, cwd, argv and the stop flag, built once here. */
export interface CliEnv {
  cwd: string;
  argv: string[];
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  now: () => Date;
  /** True once Ctrl-C (SIGINT) or SIGTERM arrived, or the parent watched by stopWithParent is gone; a second signal exits at once. */
  interrupted: () => boolean;
  /**
   * From now on, stdin closing means the process that started this one (a sweep, holding the other
   * end of the pipe) is gone, even by kill -9: interrupted() turns true as for a signal.
   */
  stopWithParent: () => void;
  /** Why the command was stopped without a signal, if it was (its parent is gone). */
  stopReason: () => string | undefined;
  /** The signal that stopped the command, if one did. */
  stoppedBy: () => NodeJS.Signals | undefined;
  /**
   * Registers what must still happen, synchronously, when a second signal ends the process at once
   * (a run's final status); returns the undo.
   */
  onForcedExit: (hook: () => void) => () => void;
  /**
   * While registered, a second signal calls `handler` instead of ending the process (a worker
   * abandons its runs, which takes a round trip to Redis); a third still ends it. Returns the undo.
   */
  onSecondSignal: (handler: () => void, notice: string) => () => void;
  /** Commands that finish normally but want a non-zero status (validate with errors) set it here. */
  setExitCode: (code: number) => void;
  exitCode: () => number;
}

/** The shell's exit status for a process ended by `signal`. */
export const SIGNAL_EXIT: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143 };

export function cliEnv(): CliEnv {
  let stoppedBy: NodeJS.Signals | undefined;
  let orphaned: string | undefined;
  let code = 0;
  const hooks = new Set<() => void>();
  let second: (() => void) | undefined;
  let notice: string | undefined;
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (stoppedBy && second && signals === 2) {
      second();
      return;
    }
    if (stoppedBy) {
      for (const hook of hooks) {
        try {
          hook();
        } catch (err) {
          process.stderr.write(`mnist-run: while stopping: ${(err as Error).message}\n`);
        }
      }
      process.exit(SIGNAL_EXIT[signal] ?? 1);
    }
    stoppedBy = signal;
    const what = signal === 'SIGINT' ? 'Ctrl-C' : signal;
    process.stderr.write(
      `\nmnist-run: ${what}: ${notice ?? `stopping after the current batch (${what} again to quit at once)`}\n`,
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    cwd: process.cwd(),
    argv: process.argv.slice(1),
    stdout: process.stdout,
    stderr: process.stderr,
    now: () => new Date(),
    interrupted: () => stoppedBy !== undefined || orphaned !== undefined,
    stoppedBy: () => stoppedBy,
    stopWithParent: () => {
      const parent = process.ppid;
      const gone = () => {
        if (orphaned || stoppedBy) return;
        orphaned = `the sweep that started this run (process ${parent}) is gone`;
        process.stderr.write(`mnist-run: ${orphaned}: stopping after the current batch\n`);
      };
      // EOF is the kernel closing the parent's end. Unref'd: the pipe must not keep this process alive.
      process.stdin.once('end', gone).once('error', gone).resume();
      (process.stdin as { unref?: () => void }).unref?.();
    },
    stopReason: () => orphaned,
    onForcedExit: (hook) => {
      hooks.add(hook);
      return () => hooks.delete(hook);
    },
    onSecondSignal: (handler, text) => {
      second = handler;
      notice = text;
      return () => {
        if (second !== handler) return;
        second = undefined;
        notice = undefined;
      };
    },
    setExitCode: (c) => {
      code = c;
    },
    exitCode: () => code,
  };
}
