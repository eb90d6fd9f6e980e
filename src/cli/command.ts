// The shape of a `wasmws` subcommand, and the I/O the program lends it (so tests can run a
// command in-process and read what it printed).

/** What a subcommand may use of the process. */
export interface CommandIO {
  /** Writes to standard output. */
  out(text: string): void;
  /** Writes to standard error. */
  err(text: string): void;
  /**
   * Calls `callback` once when the program is asked to stop (SIGINT or SIGTERM). Only
   * commands that call this change what a signal does; a second signal kills as usual.
   */
  onStop(callback: (signal: string) => void): void;
}

/** One subcommand: `wasmws NAME [args]`. */
export interface Command {
  /** One line for the program's usage. */
  summary: string;
  /** The full help, printed by `wasmws NAME --help` and `wasmws help NAME`. */
  usage: string;
  /**
   * Runs the command with the arguments after its name.
   *
   * @returns the exit status: 0 done, 1 failed at run time, 2 bad usage.
   */
  run(args: string[], io: CommandIO): Promise<number>;
}

/** Exit status of a command line that cannot be run as written. */
export const EXIT_USAGE = 2;
/** Exit status of a command that failed while running. */
export const EXIT_FAILURE = 1;

/**
 * A `util.parseArgs` error in the program's words: an unknown flag is named without node's
 * advice about `--`; other messages (a missing value, a stray argument) are node's.
 */
export function argumentProblem(error: unknown): string {
  const { code, message } = error as { code?: string; message: string };
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const flag = /'([^']*)'/.exec(message)?.[1];
    if (flag !== undefined) return `unknown option ${flag}`;
  }
  return message;
}

/**
 * A command line that cannot be run as written (a bad flag, URL or file). Argument checks
 * throw it; the command prints its message with the usage and exits {@link EXIT_USAGE}.
 */
export class UsageError extends Error {
  override name = 'UsageError';
}
