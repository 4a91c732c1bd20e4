/** Exit codes of mongo-snapshot. They are a contract: alerts and the CronJob rely on them. */
export const EXIT = {
  OK: 0,
  USAGE: 2,
  CONNECT: 3,
  NO_ELIGIBLE: 4,
  LOCK_FAILED: 5,
  SNAPSHOT_FAILED: 6,
  UNLOCK_FAILED: 7,
  SIGINT: 130,
  SIGTERM: 143,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export const EXIT_CODE_HELP: ReadonlyArray<readonly [number, string]> = [
  [EXIT.OK, 'snapshot taken, member unlocked'],
  [EXIT.USAGE, 'usage error or invalid connection string (or the snapshot command is not found; nothing locked)'],
  [EXIT.CONNECT, 'cannot connect, authentication failed, missing privileges, or not a replica set'],
  [EXIT.NO_ELIGIBLE, 'no eligible secondary'],
  [EXIT.LOCK_FAILED, 'lock failed, nothing left locked'],
  [
    EXIT.SNAPSHOT_FAILED,
    'snapshot command failed or timed out (or the lock was lost during it, or the member was PRIMARY while locked), member unlocked',
  ],
  [EXIT.UNLOCK_FAILED, 'UNLOCK FAILED: the member may still be locked (the log names it and says how to unlock it by hand)'],
  [EXIT.SIGINT, 'interrupted by SIGINT, member unlocked'],
  [EXIT.SIGTERM, 'interrupted by SIGTERM, member unlocked'],
];

export function exitCodeTable(): string {
  return EXIT_CODE_HELP.map(([code, text]) => `  ${String(code).padStart(3)}  ${text}`).join('\n');
}

/** An error that ends the run with a given exit code. The message must already be free of secrets. */
export class ExitError extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'ExitError';
  }
}
