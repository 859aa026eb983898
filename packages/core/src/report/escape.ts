/**
 * Escaping of data (names, file names, messages, gap texts: anything a server, a repository or a
 * policy file chose) for the place it is printed. Reporters escape each data-derived string for
 * its context and never the text they add themselves, so their own structure (colour codes,
 * headings, bullets) still works and data cannot forge any of it.
 */
import type { CoverageGap } from "../model/inventory.ts";

/**
 * Characters a terminal or a log viewer acts on instead of showing: C0 controls (ESC starts
 * colour and OSC sequences, CR rewrites the line, NUL and BEL), DEL, C1 controls (U+009B is a
 * one-byte CSI), and the invisible format characters that reorder or hide text (bidi overrides
 * and isolates, zero-width characters, line and paragraph separators, BOM).
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
export const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g;
/** What `terminalLines` keeps (CRLF too: Windows line ends) or escapes. */
const KEPT_OR_INVISIBLE = new RegExp(`\\r\\n|${INVISIBLE.source}`, "g");
const LINE_BREAK = /\r\n|[\r\n\u2028\u2029]/g;
const NAMED: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

function visible(c: string): string {
  const code = c.charCodeAt(0);
  return NAMED[c] ?? (code < 0x100 ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`);
}

/**
 * Data for a terminal or a plain-text stream, on one line: every control or invisible format
 * character (newlines included) becomes a visible escape such as `\x1b`, `\r`, `\n`, `\u202e`.
 * Backslashes are left alone, so a Windows path or a regular expression reads as written.
 */
export function terminalText(s: string): string {
  return s.replace(INVISIBLE, visible);
}

/**
 * A whole text for a terminal where the caller's own line breaks (and tabs) are kept: everything
 * else that `terminalText` escapes is escaped. For streams that carry no colour of their own
 * (stderr), as a last line of defence behind escaping each piece of data.
 */
export function terminalLines(s: string): string {
  return s.replace(KEPT_OR_INVISIBLE, (c) => (c === "\r\n" || c === "\n" || c === "\t" ? c : visible(c)));
}

/** `  - SOURCE SCOPE: ERROR` lines for coverage gaps on a plain-text stream, data escaped. */
export function gapLines(gaps: readonly CoverageGap[]): string[] {
  return gaps.map((g) => `  - ${terminalText(g.source)} ${terminalText(g.scope)}: ${terminalText(g.error)}`);
}

/** What JSON.stringify leaves raw (it escapes C0 controls itself) that a terminal acts on or that hides text. */
const JSON_RAW = /[\u007f-\u009f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g;

/**
 * JSON text of `value` that is safe to print on a terminal: DEL, C1 controls and invisible format
 * characters are written as `\u` escapes. They occur only inside strings, so the data parses back
 * exactly.
 */
export function jsonText(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(JSON_RAW, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** Line breaks fold to a space and other controls become visible: Markdown data stays on its line. */
function mdOneLine(s: string): string {
  return s.replace(LINE_BREAK, " ").replace(INVISIBLE, visible);
}

/**
 * Data as Markdown text (a bullet, a heading's tail, a table cell, a blockquote): on one line,
 * every character that could start Markdown or HTML structure escaped. `<`, `>` and `&` become
 * entities (every renderer honours them, not only CommonMark's backslash escapes), so no tag,
 * comment or entity from data reaches the page; `#`, `!`, `|`, `~`, `$`, brackets, emphasis and
 * code markers are backslash-escaped, which CommonMark and GitHub render as the character itself.
 * Where data starts a block (a bullet's text), what would open a nested list (also with the
 * caller's full stop after it), a thematic break, a setext underline or an indented code block
 * is neutralised too, and empty text is a space (`&#32;`), never nothing.
 */
export function mdText(s: string): string {
  const text = mdOneLine(s)
    .replace(/[\\`*_[\]{}()#!|~$]/g, "\\$&")
    .replace(/[&<>]/g, (c) => (c === "&" ? "&amp;" : c === "<" ? "&lt;" : "&gt;"))
    // GFM's extended autolinks start at a literal `www.`, `://` or `@` in the source: as entities
    // they render the same but link nothing.
    .replace(/(?<=www)\.|:(?=\/\/)|@/gi, (c) => `&#${c.charCodeAt(0)};`)
    .replace(/^ +/, "")
    .replace(/^[-+=]/, "\\$&")
    // Digits then `.` (ours or the data's) open an ordered list: a digit as an entity cannot.
    .replace(/^\d(?=\d{0,8}(?:\.|$))/, (d) => `&#${d.charCodeAt(0)};`);
  // An empty bullet under a line of text would make that line a setext heading.
  return text === "" ? "&#32;" : text;
}

/**
 * Data as a Markdown code span: fenced with one backtick more than the longest run inside, and
 * padded with a space when the content starts or ends with a backtick or a space (CommonMark
 * strips one space from each side). Code spans show their content literally, so nothing else is
 * escaped; line breaks fold to spaces as in `mdText`.
 */
export function mdCode(s: string): string {
  const text = mdOneLine(s);
  if (text === "") return "` `";
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = "`".repeat(longest + 1);
  const pad = /^[` ]|[` ]$/.test(text) ? " " : "";
  return `${fence}${pad}${text}${pad}${fence}`;
}
