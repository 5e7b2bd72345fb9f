/**
 * Typed errors for everything a user can get wrong. Deep code throws these; only the CLI entry
 * catches, prints `message` without a stack and exits with `exitCode`.
 */
export class UserError extends Error {
  readonly exitCode: number = 1;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A config file, an override or a cross-field check is wrong. */
export class ConfigError extends UserError {}

/** A data file is missing, truncated or does not match its partner. */
export class DataError extends UserError {}

/** A backend was asked for and cannot be used. */
export class BackendError extends UserError {}

/** Bad command-line usage not caught by yargs itself. */
export class UsageError extends UserError {}

/** Training was stopped by a signal (Ctrl-C); exit status follows the shell convention. */
export class InterruptedError extends UserError {
  override readonly exitCode = 130;
}

export function isUserError(err: unknown): err is UserError {
  return err instanceof UserError;
}

/** The device a run computes on failed under it (a GPU lost to a driver reset): not a bug, not the config. */
export class DeviceError extends UserError {}

/** Training diverged: a loss or weight became NaN or infinite. The run stops at that batch. */
export class DivergedError extends UserError {}

/** Redis cannot be reached, refused our password, or sent something that is not ours. */
export class QueueError extends UserError {}
