/**
 * Nesting depth of JSON text, measured with jsonc-parser's scanner (no recursion), so that
 * hostile input is refused before a recursive parser or validator overflows the stack.
 */
import { createScanner } from "jsonc-parser";
import { UsageError } from "./errors.ts";
import { LineIndex } from "./line-index.ts";

/**
 * The deepest nesting any JSON trustscope reads may have: snapshots and reports are about ten
 * levels deep, real ARM templates a few dozen; recursive parsers overflow in the thousands.
 */
export const MAX_JSON_DEPTH = 200;

// jsonc-parser's SyntaxKind is an ambient const enum, which isolatedModules cannot read.
const OPEN_BRACE = 1;
const CLOSE_BRACE = 2;
const OPEN_BRACKET = 3;
const CLOSE_BRACKET = 4;
const EOF = 17;

/**
 * The offset of the first `{` or `[` nested deeper than `max`, or undefined when the text stays
 * within it. Comments and strings are skipped as jsonc-parser reads them. `onToken` is called per
 * token (a reader's work budget).
 */
export function tooDeepAt(text: string, max: number = MAX_JSON_DEPTH, onToken?: () => void): number | undefined {
  const scanner = createScanner(text, true);
  let depth = 0;
  for (let kind = scanner.scan(); kind !== EOF; kind = scanner.scan()) {
    onToken?.();
    if (kind === OPEN_BRACE || kind === OPEN_BRACKET) {
      if (++depth > max) return scanner.getTokenOffset();
    } else if (kind === CLOSE_BRACE || kind === CLOSE_BRACKET) depth = Math.max(0, depth - 1);
  }
  return undefined;
}

/** Throws a located UsageError when `text` nests deeper than MAX_JSON_DEPTH (`what` names the file's role). */
export function assertJsonDepth(text: string, file: string, what: string): void {
  const at = tooDeepAt(text);
  if (at !== undefined) {
    throw new UsageError(`${file}:${new LineIndex(text).lineAt(at)}: ${what} nests JSON deeper than ${MAX_JSON_DEPTH} levels; not read`);
  }
}
