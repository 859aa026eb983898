/**
 * A problem with what the user gave us (arguments, snapshot, policy): reported as one line, exit
 * code 2, nothing scanned. `where` is `file:line` or a JSON path when known.
 */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
