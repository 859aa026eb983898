/**
 * Shared by the output-safety tests: hostile strings, tokens with every awkward character, the
 * forms a server echoes them in, and checks that printed output has our structure only.
 */
import fc from "fast-check";
import { expect } from "vitest";
import { PARTIAL_ECHO } from "../../src/util/redactor.ts";

/** Tokens with `_`, `-`, `.` and `/`: a Buildkite user token, a JWT, an opaque one, and a short one. */
export const TOKENS = {
  buildkite: "bkua_0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e",
  graph: "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJidWlsZGtpdGUifQ.c2lnbmF0dXJl-MDEy_MzQ1",
  arm: "arm/Tok.en-with_every/char0123456789",
  short: "k3Y_q",
} as const;

/** The ways a server plausibly echoes `token` in an error body. */
export function echoes(token: string): string[] {
  const b64 = (s: string) => Buffer.from(s).toString("base64");
  return [
    token,
    token.replace(/([\\`*_[\]<>|.-])/g, "\\$1"),
    JSON.stringify(token).slice(1, -1).replace(/\//g, "\\/"),
    encodeURIComponent(token),
    encodeURIComponent(token).toLowerCase(),
    token.toUpperCase(),
    b64(token),
    b64(`user:${token}`),
    Buffer.from(`Bearer ${token}`).toString("base64url"),
    [...token].reverse().join(""),
    `${token.slice(0, 20)}…`,
  ];
}

/** An error message a hostile or careless server might send, echoing every token every way. */
export function echoingError(): string {
  const long = [TOKENS.buildkite, TOKENS.graph, TOKENS.arm].flatMap(echoes);
  return `401 Unauthorized: Authorization: Bearer ${TOKENS.graph}; echoed ${long.join(" | ")}; short ${TOKENS.short} (${TOKENS.short.replace("_", "\\_")})`;
}

/** No token is left in `text`: no run of PARTIAL_ECHO characters of a long one (any case), not the short one. */
export function expectNoToken(text: string, where = "output"): void {
  const lower = text.toLowerCase();
  for (const token of [TOKENS.buildkite, TOKENS.graph, TOKENS.arm]) {
    for (let i = 0; i + PARTIAL_ECHO <= token.length; i++) {
      const piece = token.slice(i, i + PARTIAL_ECHO).toLowerCase();
      if (lower.includes(piece)) expect.fail(`${where} holds '${piece}' of a token: …${text.slice(Math.max(0, lower.indexOf(piece) - 40), lower.indexOf(piece) + 40)}…`);
    }
  }
  for (const form of [TOKENS.short, TOKENS.short.replace("_", "\\_")]) expect(text, where).not.toContain(form);
}

/** Characters a terminal acts on (a newline is ours alone where this is checked per line). */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
export const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/** The table's own colour codes. */
// eslint-disable-next-line no-control-regex -- matching our escape sequences is the point
export const OUR_COLOURS = /\x1b\[(?:1;31|31|33|36|37|2|1|0|32)m/g;

/** What Markdown could read as structure in data: HTML, links, emphasis, tables, headings, code. */
const MARKUP = /[<>&[\]|*_~$#!`]/g;

/**
 * The parts of a Markdown line that are not in a code span and not backslash-escaped, with
 * entities (`&lt;`) collapsed: where data must not have put any structure. Follows CommonMark: a
 * code span runs from a backtick run to the next run of the same length.
 */
export function markdownOutsideCode(line: string): string {
  let out = "";
  for (let i = 0; i < line.length; ) {
    const c = line[i]!;
    if (c === "\\" && i + 1 < line.length && /[!-/:-@[-`{-~]/.test(line[i + 1]!)) {
      out += "E";
      i += 2;
    } else if (c === "`") {
      let n = 0;
      while (line[i + n] === "`") n++;
      const close = new RegExp(`(?<!\`)\`{${n}}(?!\`)`, "g");
      close.lastIndex = i + n;
      const m = close.exec(line);
      if (m) {
        out += "C";
        i = m.index + n;
      } else {
        out += line.slice(i, i + n);
        i += n;
      }
    } else if (c === "&") {
      const entity = /^&(?:amp|lt|gt|#\d+);/.exec(line.slice(i));
      out += entity ? "E" : "&";
      i += entity ? entity[0].length : 1;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/**
 * A line's block markers (blockquote, list items), whether its text is indented as code, and
 * whether the text then opens another block.
 */
function blockStart(line: string): string {
  const prefix = /^(?: *(?:>|[-+*]|\d{1,9}[.)])(?= |$))*/.exec(line)![0];
  const rest = line.slice(prefix.length);
  const indent = /^ */.exec(rest)![0].length;
  return `${JSON.stringify(prefix)} ${indent > 4} ${/^(?:[-+=_*#]|\d{1,9}[.)])/.test(rest.slice(indent))}`;
}

/**
 * `hostile` has exactly the Markdown structure of `plain` (the same report with harmless data):
 * the same lines, the same headings, and the same markup outside code spans on every line.
 */
export function expectSameMarkdownStructure(hostile: string, plain: string): void {
  expect(hostile).not.toMatch(CONTROL);
  const h = hostile.split("\n");
  const p = plain.split("\n");
  expect(h.length).toBe(p.length);
  for (let i = 0; i < h.length; i++) {
    const skeleton = (line: string) => (markdownOutsideCode(line).match(MARKUP) ?? []).join("");
    expect(skeleton(h[i]!), `line ${i + 1}: ${h[i]}`).toBe(skeleton(p[i]!));
    expect(blockStart(h[i]!), `line ${i + 1}: ${h[i]}`).toBe(blockStart(p[i]!));
    if (/^\s{0,3}#/.test(p[i]!) || /^\s{0,3}#/.test(h[i]!)) expect(h[i]).toBe(p[i]);
  }
}

/** `hostile` has the lines of `plain`, starting alike, and no control character but ours. */
export function expectSameTextStructure(hostile: string, plain: string, ours: RegExp = /$^/g): void {
  const bare = hostile.replace(ours, "");
  expect(bare).not.toMatch(CONTROL);
  const h = hostile.split("\n");
  const p = plain.split("\n");
  expect(h.length).toBe(p.length);
  for (let i = 0; i < h.length; i++) expect(h[i]!.slice(0, 4), `line ${i + 1}: ${h[i]}`).toBe(p[i]!.slice(0, 4));
}

/** Pieces attackers use: terminal sequences, line breaks, Markdown and HTML. */
const PIECES = [
  "\x1b[31m",
  "\x1b]8;;https://evil.example\x07link\x1b]8;;\x07",
  "\x1b[2J",
  "\r",
  "\n",
  "\r\n",
  "\0",
  "\x07",
  "\x7f",
  "\u009b31m",
  "\u202e",
  "\u2028",
  "\t",
  "#",
  "# Heading",
  "\n# Injected",
  "\n## H",
  "\n- bullet",
  "\n> quote",
  "\n---\n",
  "<img src=x onerror=alert(1)>",
  "<script>alert(1)</script>",
  "</details>",
  "<details>",
  "<!--",
  "-->",
  "`",
  "``",
  "```",
  "|",
  "| a | b |",
  "*",
  "_",
  "**",
  "[x](javascript:alert(1))",
  "![i](http://x/i.png)",
  "&",
  "&lt;",
  "&#60;",
  "!",
  "~~",
  "$x$",
  "(",
  ")",
  "\\",
  "\\`",
  "===",
  ":",
  "'",
  '"',
  "é",
  "🔑",
  " ",
  "prod",
  "x-y.z/w",
];

/** A string built from hostile pieces and arbitrary characters (control characters included). */
export const hostileString = fc
  .array(fc.oneof(fc.constantFrom(...PIECES), fc.string({ maxLength: 4 }), fc.string({ unit: "binary", maxLength: 3 })), { maxLength: 6 })
  .map((parts) => parts.join(""));

/** What a hostile string is replaced with to render the same report with harmless data. */
export const harmless = (s: string): string => (s === "" ? "" : "x");
