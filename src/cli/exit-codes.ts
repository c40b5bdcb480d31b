/** Process exit codes of the `strongbox` command; scripts rely on them. */
export const EXIT = {
  OK: 0,
  /** the command ran and failed (bad config, refused migration, database error…) */
  FAILURE: 1,
  /** the command line itself is wrong (unknown option, missing argument) */
  USAGE: 2,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
