/**
 * Checks JSON text for what would hurt before a parser sees it: nesting deep enough to overflow
 * a recursive parser or validator, and `__proto__` keys, which a parser that assigns properties
 * turns into an object's prototype instead of a key. Uses jsonc-parser's scanner (no recursion).
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
const COLON = 6;
const STRING = 10;
const LINE_BREAK = 14;
const TRIVIA = 15;
const LINE_COMMENT = 12;
const BLOCK_COMMENT = 13;
const EOF = 17;

export interface JsonHazard {
  offset: number;
  problem: string;
}

/**
 * The first hazard in `text`: a `{` or `[` nested deeper than `max`, or (with `prototypeKeys`) a
 * `__proto__` key. Comments and strings are skipped as jsonc-parser reads them. `onToken` is
 * called per token (a reader's work budget).
 */
export function jsonHazard(text: string, opts: { max?: number; prototypeKeys?: boolean; onToken?: () => void } = {}): JsonHazard | undefined {
  const max = opts.max ?? MAX_JSON_DEPTH;
  const scanner = createScanner(text, false);
  let depth = 0;
  let protoAt: number | undefined;
  for (let kind = scanner.scan(); kind !== EOF; kind = scanner.scan()) {
    opts.onToken?.();
    if (kind === LINE_BREAK || kind === TRIVIA || kind === LINE_COMMENT || kind === BLOCK_COMMENT) continue;
    if (kind === COLON && protoAt !== undefined) return { offset: protoAt, problem: "has a '__proto__' key" };
    protoAt = opts.prototypeKeys && kind === STRING && scanner.getTokenValue() === "__proto__" ? scanner.getTokenOffset() : undefined;
    if (kind === OPEN_BRACE || kind === OPEN_BRACKET) {
      if (++depth > max) return { offset: scanner.getTokenOffset(), problem: `nests JSON deeper than ${max} levels` };
    } else if (kind === CLOSE_BRACE || kind === CLOSE_BRACKET) depth = Math.max(0, depth - 1);
  }
  return undefined;
}

/** The offset of the first `{` or `[` nested deeper than `max`, or undefined. */
export function tooDeepAt(text: string, max: number = MAX_JSON_DEPTH, onToken?: () => void): number | undefined {
  return jsonHazard(text, { max, ...(onToken ? { onToken } : {}) })?.offset;
}

/**
 * Throws a located UsageError for nesting deeper than MAX_JSON_DEPTH or a `__proto__` key
 * (`what` names the file's role, e.g. "the snapshot").
 */
export function assertSafeJson(text: string, file: string, what: string): void {
  const hazard = jsonHazard(text, { prototypeKeys: true });
  if (hazard) throw new UsageError(`${file}:${new LineIndex(text).lineAt(hazard.offset)}: ${what} ${hazard.problem}; not read`);
}
