/**
 * Bicep tokens. Strings are scanned whole, including `${...}` holes (which may nest strings);
 * the parser lexes a hole's text again when it reads the string. Problems (an unterminated
 * string or comment, an unexpected character) become `bad` tokens the parser reports.
 */
import type { Budget } from "./support.ts";

export type TokenKind = "ident" | "string" | "number" | "punct" | "bad" | "eof";

/** A piece of a string: decoded text, or the offsets of a `${...}` hole's expression. */
export type StringPart = { text: string } | { hole: [number, number] };

export interface Token {
  kind: TokenKind;
  start: number;
  end: number;
  /** The first token on its line (the file start counts as a line start). */
  nl: boolean;
  /** Identifier name, punctuation, number text, or a `bad` token's message. */
  text: string;
  /** For strings: decoded pieces. */
  parts?: StringPart[];
}

const PUNCT3 = ["..."];
const PUNCT2 = ["==", "!=", "<=", ">=", "&&", "||", "??", "=~", "!~", "=>", "::"];
const PUNCT1 = "{}[](),:;.?!=<>+-*/%&|@";
/** First characters of multi-character punctuation. */
const MULTI_START = ".=!<>&|?:";

function multiPunct(src: string, i: number, to: number): string | undefined {
  for (const x of PUNCT3) if (i + 3 <= to && src.startsWith(x, i)) return x;
  for (const x of PUNCT2) if (i + 2 <= to && src.startsWith(x, i)) return x;
  return undefined;
}

function isIdentStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

function isIdentPart(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57);
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Lexes `src[from, to)`; the last token is always `eof` (at `to`). */
export function lex(src: string, from: number, to: number, budget: Budget): Token[] {
  const tokens: Token[] = [];
  let i = from;
  let nl = true;
  const push = (kind: TokenKind, start: number, end: number, text: string, parts?: StringPart[]): void => {
    const t: Token = { kind, start, end, nl, text };
    if (parts) t.parts = parts;
    tokens.push(t);
    nl = false;
  };
  while (i < to) {
    budget.tick();
    const c = src.charCodeAt(i);
    if (c === 10) {
      nl = true;
      i++;
      continue;
    }
    if (c <= 32 || c === 0xfeff || c === 0xa0) {
      i++;
      continue;
    }
    if (c === 47 /* / */ && src.charCodeAt(i + 1) === 47 && i + 1 < to) {
      const eol = src.indexOf("\n", i);
      i = eol === -1 || eol > to ? to : eol;
      continue;
    }
    if (c === 47 && src.charCodeAt(i + 1) === 42 /* * */ && i + 1 < to) {
      const close = src.indexOf("*/", i + 2);
      if (close === -1 || close + 2 > to) {
        push("bad", i, to, "unterminated comment");
        i = to;
        continue;
      }
      // A block comment spanning lines makes the next token start a line.
      if (src.lastIndexOf("\n", close) > i) nl = true;
      i = close + 2;
      continue;
    }
    if (c === 35 /* # */ && nl) {
      // A directive on its own line (`#disable-next-line rule`, `#disable-diagnostics …`).
      const eol = src.indexOf("\n", i);
      i = eol === -1 || eol > to ? to : eol;
      continue;
    }
    if (c === 39 /* ' */) {
      if (src.startsWith("'''", i) && i + 3 <= to) {
        i = multiline(src, i, to, push);
        continue;
      }
      const r = scanString(src, i, to, budget);
      if (r.error) {
        push("bad", i, r.end, r.error);
      } else push("string", i, r.end, src.slice(i, r.end), r.parts);
      i = r.end;
      continue;
    }
    if (isIdentStart(c)) {
      let j = i + 1;
      while (j < to && isIdentPart(src.charCodeAt(j))) j++;
      push("ident", i, j, src.slice(i, j));
      i = j;
      continue;
    }
    if (isDigit(c)) {
      let j = i + 1;
      while (j < to && isDigit(src.charCodeAt(j))) j++;
      if (src[j] === "." && j + 1 < to && isDigit(src.charCodeAt(j + 1))) {
        j++;
        while (j < to && isDigit(src.charCodeAt(j))) j++;
      }
      push("number", i, j, src.slice(i, j));
      i = j;
      continue;
    }
    const p = MULTI_START.includes(src[i]!) ? multiPunct(src, i, to) : undefined;
    if (p) {
      push("punct", i, i + p.length, p);
      i += p.length;
      continue;
    }
    if (PUNCT1.includes(src[i]!)) {
      push("punct", i, i + 1, src[i]!);
      i++;
      continue;
    }
    const cp = src.codePointAt(i) ?? c;
    const width = cp > 0xffff ? 2 : 1;
    push("bad", i, i + width, `unexpected character ${JSON.stringify(String.fromCodePoint(cp))}`);
    i += width;
  }
  tokens.push({ kind: "eof", start: to, end: to, nl: true, text: "" });
  return tokens;
}

/** A `'''…'''` string: verbatim, no escapes or holes; a newline right after the opening is dropped. */
function multiline(src: string, i: number, to: number, push: (kind: TokenKind, start: number, end: number, text: string, parts?: StringPart[]) => void): number {
  let close = src.indexOf("'''", i + 3);
  if (close === -1 || close + 3 > to) {
    push("bad", i, to, "unterminated multi-line string");
    return to;
  }
  // `''''` closes at the last three quotes of a run.
  while (close + 3 < to && src.charCodeAt(close + 3) === 39) close++;
  let text = src.slice(i + 3, close);
  if (text.startsWith("\r\n")) text = text.slice(2);
  else if (text.startsWith("\n")) text = text.slice(1);
  push("string", i, close + 3, text, [{ text }]);
  return close + 3;
}

interface Scanned {
  end: number;
  parts: StringPart[];
  error?: string;
}

const ESCAPES: Record<string, string> = { n: "\n", r: "\r", t: "\t", "\\": "\\", "'": "'", $: "$" };

/**
 * Scans a single-quoted string starting at `src[start] === "'"`. Strings do not span lines.
 * Holes are tracked with an explicit stack (hole brace depths, or -1 for a string nested in a
 * hole), so nesting depth cannot overflow the call stack.
 */
function scanString(src: string, start: number, to: number, budget: Budget): Scanned {
  const parts: StringPart[] = [];
  const frames: number[] = [];
  let text = "";
  let holeStart = -1;
  let i = start + 1;
  const unterminated = (at: number): Scanned => ({ end: at, parts, error: "unterminated string" });
  while (i < to) {
    budget.tick();
    const c = src.charCodeAt(i);
    if (c === 10) return unterminated(i);
    const top = frames.length === 0 ? -1 : frames[frames.length - 1]!;
    const inString = frames.length === 0 || top === -1;
    if (inString) {
      if (c === 92 /* \ */) {
        if (i + 1 >= to || src.charCodeAt(i + 1) === 10) return unterminated(i + 1 >= to ? to : i + 1);
        if (frames.length === 0) {
          const e = src[i + 1]!;
          if (e === "u" && src[i + 2] === "{") {
            const close = src.indexOf("}", i + 3);
            const hex = close === -1 || close >= to ? "" : src.slice(i + 3, close);
            const code = /^[0-9a-fA-F]{1,6}$/.test(hex) ? Number.parseInt(hex, 16) : Number.NaN;
            if (!Number.isNaN(code) && code <= 0x10ffff) {
              text += String.fromCodePoint(code);
              i = close + 1;
              continue;
            }
          }
          text += ESCAPES[e] ?? e;
        }
        i += 2;
        continue;
      }
      if (c === 39 /* ' */) {
        if (frames.length === 0) {
          if (text !== "" || parts.length === 0) parts.push({ text });
          return { end: i + 1, parts };
        }
        frames.pop();
        i++;
        continue;
      }
      if (c === 36 /* $ */ && src.charCodeAt(i + 1) === 123 /* { */ && i + 1 < to) {
        if (frames.length === 0) {
          if (text !== "") parts.push({ text });
          text = "";
          holeStart = i + 2;
        }
        frames.push(0);
        i += 2;
        continue;
      }
      if (frames.length === 0) text += src[i];
      i++;
      continue;
    }
    // Inside a hole.
    if (c === 123) frames[frames.length - 1] = top + 1;
    else if (c === 125 /* } */) {
      if (top === 0) {
        frames.pop();
        if (frames.length === 0) parts.push({ hole: [holeStart, i] });
      } else frames[frames.length - 1] = top - 1;
    } else if (c === 39) {
      if (src.startsWith("'''", i)) {
        const close = src.indexOf("'''", i + 3);
        const eol = src.indexOf("\n", i);
        if (close === -1 || close + 3 > to || (eol !== -1 && eol < close)) return unterminated(eol === -1 || eol > to ? to : eol);
        i = close + 3;
        continue;
      }
      frames.push(-1);
    }
    i++;
  }
  return unterminated(to);
}
