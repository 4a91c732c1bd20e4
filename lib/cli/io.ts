/** Where a CLI command writes; tests pass their own. */
export interface CliIo {
  readonly out: { write(text: string): unknown };
  readonly err: { write(text: string): unknown };
}
