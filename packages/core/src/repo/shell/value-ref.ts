import type { ValueRef } from "../../model/repo.ts";
import { LexContext, Reader, staticText, type Word } from "./lexer.ts";

/** Operators of `${X<op>word}` whose word is what the expansion falls back to when X is unset/empty. */
const FALLBACK_OPS = new Set([":-", "-", ":=", "="]);
/** Operators that leave the value of X as it is. */
const PLAIN_OPS = new Set(["", ":?", "?"]);
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A ValueRef for a word read by the lexer. `raw` is the word as written unless given. */
export function valueRefOfWord(word: Word, raw: string = word.raw): ValueRef {
  const ref: ValueRef = { raw };
  if (word.array) return ref;
  const literal = staticText(word);
  if (literal !== undefined) {
    ref.literal = literal;
    return ref;
  }
  // exactly one parameter expansion, with nothing but empty quotes around it
  const others = word.parts.filter((p) => !(p.kind === "lit" && p.text === ""));
  const only = others[0];
  if (others.length !== 1 || only === undefined || only.kind !== "param") return ref;
  if (only.prefix !== "" || !IDENT.test(only.name)) return ref;
  if (FALLBACK_OPS.has(only.op)) {
    ref.variable = only.name;
    if (only.arg) {
      const text = staticText(only.arg);
      ref.fallback = text ?? only.arg.raw;
    } else {
      ref.fallback = "";
    }
  } else if (PLAIN_OPS.has(only.op)) {
    ref.variable = only.name;
  }
  return ref;
}

export interface ParseValueOptions {
  /** The text comes from pipeline YAML: `$$` and `\$` stand for `$`. */
  pipelineEscapes?: boolean;
}

/**
 * Reads one shell word as a ValueRef: `'lit'`, `"lit"`, `lit` → literal; `$X`, `${X}`, `"${X}"` →
 * variable; `${X:-d}` (also `${X-d}`, `${X:=d}`) → variable and fallback. Anything else (mixed
 * text, several words, command substitutions) keeps only `raw`. Never throws.
 */
export function parseValueRef(raw: string, opts: ParseValueOptions = {}): ValueRef {
  if (typeof raw !== "string") return { raw: String(raw) };
  if (raw === "") return { raw, literal: "" };
  const ctx = new LexContext("", 64 * (raw.length + 64));
  try {
    const reader = new Reader(raw, 1, ctx, 0, opts.pipelineEscapes === true);
    const words = reader.readWords();
    const word = words[0];
    if (words.length !== 1 || word === undefined || ctx.diagnostics.length > 0) return { raw };
    return valueRefOfWord(word, raw);
  } catch {
    return { raw };
  }
}
