import type { Argv } from 'yargs';

/** The hidden `$0` (the default command) is no word to type: completions are words that start with what is typed. */
type Filter = (onCompleted?: (err: Error | null, completions: string[] | undefined) => void) => void;

/**
 * `mnist-run completion` prints a bash script (zsh's where $SHELL is zsh) that calls
 * `mnist-run --get-yargs-completions WORDS…`; that answers with the commands and options yargs knows,
 * narrowed to the ones starting with the word being completed.
 */
export function withCompletion(y: Argv): Argv {
  return y.completion('completion', 'print a bash/zsh completion script: mnist-run completion >> ~/.bashrc', ((
    current: string,
    _argv: unknown,
    filter: Filter,
    done: (c: string[]) => void,
  ) => {
    filter((err, completions) => {
      if (err) throw err;
      done(
        (completions ?? []).filter((c) => {
          const word = c.split(':')[0]!; // zsh's are `name:description`
          return word !== '$0' && word.startsWith(current);
        }),
      );
    });
  }) as never);
}

/**
 * yargs prints the script for `completion` but, not exiting the process (the CLI never lets it), goes
 * on to the default command, which takes `completion` for a config file: the script is printed here instead.
 */
export function printCompletionScript(y: Argv, argv: string[]): boolean {
  if (argv[0] !== 'completion' || argv.includes('--help') || argv.includes('-h')) return false;
  y.showCompletionScript();
  return true;
}
