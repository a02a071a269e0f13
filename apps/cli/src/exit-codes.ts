/** The hpc command's exit codes: scripts may rely on them. */
export const EXIT_CODES = {
  /** The command did what was asked (and, for --wait/--watch/result, every job completed). */
  ok: 0,
  /** A job failed, or the operation could not be done (scheduler down, unknown job, bad file). */
  failed: 1,
  /** The command line was wrong: unknown command or option, missing or malformed argument. */
  usage: 2,
  /** Interrupted with Ctrl-C (128 + SIGINT). */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];
