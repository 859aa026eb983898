/**
 * Keeping secrets out of everything trustscope prints or writes.
 *
 * A server can echo a token back in many shapes (an error that quotes the Authorization header,
 * a debug dump, a URL), and trustscope then escapes what it prints for Markdown, JSON or HTML.
 * The redactor recognises, for every registered secret:
 *
 * - the secret itself, whatever its length (even a one-character secret; see below);
 * - the secret with any of its punctuation escaped or encoded, character by character: a
 *   backslash before it (Markdown, JSON's `\/`), percent-encoding (`%2F`, `%2f`), a JSON `\u`
 *   escape, an HTML character reference (`&#47;`, `&#x2F;`, `&amp;`);
 *
 * and, for secrets of at least MIN_DERIVED characters, where a chance match in ordinary text is
 * not plausible:
 *
 * - any mix of upper and lower case;
 * - base64, standard and URL-safe, with or without padding, also when the secret is encoded
 *   inside something larger (`user:token` for HTTP Basic, `Bearer token`, a JSON body): the
 *   characters that depend only on the secret's bytes are matched at each of base64's three
 *   alignments, so whatever precedes or follows it;
 * - hexadecimal (either case), and the secret reversed;
 * - partial echoes: any run of PARTIAL_ECHO or more consecutive characters of the secret (a
 *   server that truncates a token to its first 20 characters), case-insensitively.
 *
 * Short secrets are matched exactly (case and all) but still everywhere: a three-letter secret
 * will also redact that word in ordinary text (and a one-letter one every such letter, even in
 * JSON keys). That is the price of never printing it, and real tokens are long. Partial echoes
 * share the price for secrets with a common structure: the first PARTIAL_ECHO characters of one
 * JWT's header are those of many other JWTs. The control characters of a secret are matched as
 * JSON and `terminalText` spell them; Markdown's folding of line breaks is not undone.
 *
 * Matching is linear in the text (times the number of forms, each cheap): each form is found
 * through its longest run of letters and digits (`indexOf`, which skips through text fast) and
 * its pattern run only around a hit; partial echoes are found by looking up every SAMPLE-th
 * piece of the text in a bitmap of the secrets' pieces and checking the few hits exactly.
 */

export const REDACTED = "[REDACTED]";
/** Case variants, encodings, reversal and partial echoes apply from this length on. */
export const MIN_DERIVED = 8;
/**
 * A run of this many characters of a longer secret counts as an echo of it. 16 random characters
 * are at least 64 bits, so a chance match is out of the question; fewer (12 was tried) matched
 * hex runs that test tokens share with UUIDs.
 */
export const PARTIAL_ECHO = 16;

/** Bearer tokens that nobody registered, e.g. in an echoed header. */
const BEARER = /(Bearer\s+)[A-Za-z0-9._~+/=-]{8,}/g;
/** The marker, also as Markdown escapes it; split on with a group, so markers sit at odd indices. */
const MARKER = /(\\?\[REDACTED\\?\])/;
const CONTROL_NAMES: Record<string, string> = { "\n": "n", "\r": "r", "\t": "t", "\b": "b", "\f": "f" };
const ENTITY_NAMES: Record<string, string> = { "&": "amp", "<": "lt", ">": "gt", '"': "quot", "'": "apos" };

const regexEscape = (s: string) => s.replace(/[\\^$.*+?()[\]{}|/-]/g, "\\$&");

/** A hexadecimal number matched in either case. */
function hexPattern(n: number, width: number): string {
  return [...n.toString(16).padStart(width, "0")].map((d) => (/[a-f]/.test(d) ? `[${d}${d.toUpperCase()}]` : d)).join("");
}

/** One character of a secret in any of the forms it can be escaped or encoded in. */
function charPattern(c: string, foldCase: boolean): string {
  if (/[A-Za-z]/.test(c)) return foldCase ? `[${c.toLowerCase()}${c.toUpperCase()}]` : c;
  if (/[0-9]/.test(c)) return c;
  const code = c.codePointAt(0)!;
  const forms = [regexEscape(c), [...new TextEncoder().encode(c)].map((b) => `%${hexPattern(b, 2)}`).join("")];
  if (code < 0x10000) forms.push(`\\\\u${hexPattern(code, 4)}`);
  if (code < 0x80) forms.push(`\\\\${regexEscape(c)}`);
  // A control character as JSON or a terminal-safe rendering spells it (`\n`, `\x1b`).
  if (code < 0x20 || code === 0x7f) forms.push(`\\\\x${hexPattern(code, 2)}`, ...(CONTROL_NAMES[c] ? [`\\\\${CONTROL_NAMES[c]}`] : []));
  forms.push(`&#0{0,4}${code};`, `&#[xX]0{0,4}${hexPattern(code, 1)};`);
  if (ENTITY_NAMES[c]) forms.push(`&${ENTITY_NAMES[c]};`);
  return `(?:${forms.join("|")})`;
}

function formPattern(form: string, foldCase: boolean): string {
  return [...form].map((c) => charPattern(c, foldCase)).join("");
}

/**
 * The base64 characters that depend on `bytes` alone, at each alignment: with k bytes of
 * anything before them, the first ceil(4k/3) characters and the last partial one mix in
 * neighbouring bytes.
 */
function base64Cores(bytes: Uint8Array): string[] {
  const out: string[] = [];
  for (let k = 0; k < 3; k++) {
    const padded = new Uint8Array(k + bytes.length);
    padded.set(bytes, k);
    const encoded = Buffer.from(padded).toString("base64");
    const core = encoded.slice(Math.ceil((4 * k) / 3), Math.floor((4 * (k + bytes.length)) / 3));
    out.push(core, core.replace(/\+/g, "-").replace(/\//g, "_"));
  }
  return out;
}

/** The longest a character gets in any form `charPattern` accepts (`&#x00010FFFF;`-like, or four `%XX`). */
const MAX_ENCODED = 14;
/** Shorter anchors would match too often to be worth looking for: such forms are matched over the whole text. */
const MIN_ANCHOR = 4;

/**
 * One form of a secret: its pattern, and the longest run of ASCII letters and digits in it
 * (lower-cased), which no escaping or encoding above changes. Text is searched for the anchor
 * with `indexOf` (fast, whatever the text's size), and the pattern runs only around a hit.
 */
interface Form {
  pattern: RegExp;
  anchor: string;
  /** Characters of the form before and after the anchor. */
  before: number;
  after: number;
}

function form(plain: string, foldCase: boolean): Form {
  let anchor = { start: 0, end: 0 };
  for (const m of plain.matchAll(/[A-Za-z0-9]+/g)) if (m[0].length > anchor.end - anchor.start) anchor = { start: m.index, end: m.index + m[0].length };
  return {
    pattern: new RegExp(formPattern(plain, foldCase), "g"),
    anchor: plain.slice(anchor.start, anchor.end).toLowerCase(),
    before: anchor.start,
    after: plain.length - anchor.end,
  };
}

/** Every whole form of `secret`. */
function wholeForms(secret: string): Form[] {
  if (secret.length < MIN_DERIVED) return [form(secret, false)];
  const bytes = new TextEncoder().encode(secret);
  const plain = new Map<string, boolean>([[secret, true]]);
  for (const core of base64Cores(bytes)) if (!plain.has(core)) plain.set(core, false);
  plain.set(Buffer.from(bytes).toString("hex"), true);
  plain.set([...secret].reverse().join(""), true);
  return [...plain].map(([text, fold]) => form(text, fold));
}

interface Matcher {
  forms: Form[];
  /** Every PARTIAL_ECHO-character substring of a long secret, lower-cased. */
  grams: Set<string>;
  /** A bit per hash of every SAMPLE-character substring of a long secret: rules out most of a text with one array read per SAMPLE characters. */
  filter: Uint8Array;
}

/**
 * Partial echoes are found by sampling: every PARTIAL_ECHO-long stretch of text contains a whole
 * SAMPLE-long piece starting at a multiple of SAMPLE, so only those pieces are looked up.
 */
const SAMPLE = PARTIAL_ECHO / 2;
const FILTER_BITS = 1 << 20;

function sampleHash(text: string, at: number): number {
  let h = 0;
  for (let k = at; k < at + SAMPLE; k++) h = (Math.imul(h, 0x01000193) + text.charCodeAt(k)) | 0;
  return h & (FILTER_BITS - 1);
}

function buildMatcher(secrets: Iterable<string>): Matcher {
  const forms: Form[] = [];
  const grams = new Set<string>();
  const filter = new Uint8Array(FILTER_BITS / 8);
  for (const s of secrets) {
    forms.push(...wholeForms(s));
    if (s.length < MIN_DERIVED || s.length <= PARTIAL_ECHO) continue;
    const lower = asciiLower(s);
    for (let i = 0; i + PARTIAL_ECHO <= lower.length; i++) grams.add(lower.slice(i, i + PARTIAL_ECHO));
    for (let i = 0; i + SAMPLE <= lower.length; i++) {
      const h = sampleHash(lower, i);
      filter[h >>> 3]! |= 1 << (h & 7);
    }
  }
  return { forms, grams, filter };
}

/** Lower-cases ASCII letters only, so every index of the result is the same character of `text`. */
function asciiLower(text: string): string {
  const lower = text.toLowerCase();
  return lower.length === text.length ? lower : text.replace(/[A-Z]+/g, (s) => s.toLowerCase());
}

/** [start, end) of every match of `pattern` in text[from, to). */
function matchesIn(text: string, pattern: RegExp, from: number, to: number, out: [number, number][]): void {
  for (const m of text.slice(from, to).matchAll(pattern)) if (m[0].length > 0) out.push([from + m.index, from + m.index + m[0].length]);
}

/** Where secrets occur in `text`, as [start, end) ranges (unsorted, possibly overlapping). */
function secretRanges(text: string, m: Matcher): [number, number][] {
  const ranges: [number, number][] = [];
  const lower = asciiLower(text);
  for (const f of m.forms) {
    if (f.anchor.length < MIN_ANCHOR) {
      matchesIn(text, f.pattern, 0, text.length, ranges);
      continue;
    }
    for (let at = lower.indexOf(f.anchor); at !== -1; at = lower.indexOf(f.anchor, at + 1)) {
      matchesIn(text, f.pattern, Math.max(0, at - f.before * MAX_ENCODED), Math.min(text.length, at + f.anchor.length + f.after * MAX_ENCODED), ranges);
    }
  }
  if (m.grams.size > 0) {
    for (let p = 0; p + SAMPLE <= lower.length; p += SAMPLE) {
      const h = sampleHash(lower, p);
      if ((m.filter[h >>> 3]! & (1 << (h & 7))) === 0) continue;
      // Every window of PARTIAL_ECHO characters that holds text[p, p + SAMPLE).
      for (let i = Math.max(0, p - SAMPLE); i <= p && i + PARTIAL_ECHO <= lower.length; i++) {
        if (m.grams.has(lower.slice(i, i + PARTIAL_ECHO))) ranges.push([i, i + PARTIAL_ECHO]);
      }
    }
  }
  return ranges;
}

/** `text` with each union of overlapping or touching ranges replaced by one marker. */
function replaceRanges(text: string, ranges: [number, number][]): string {
  if (ranges.length === 0) return text;
  ranges.sort((a, b) => a[0] - b[0]);
  let out = "";
  let copied = 0;
  let [start, end] = ranges[0]!;
  for (const [s, e] of ranges) {
    if (s > end) {
      out += text.slice(copied, start) + REDACTED;
      copied = end;
      start = s;
    }
    end = Math.max(end, e);
  }
  return out + text.slice(copied, start) + REDACTED + text.slice(end);
}

function isPlainObject(v: object): v is Record<string, unknown> {
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/** `value` with `f` applied to every string in plain objects and arrays (keys too); unchanged parts are shared. */
function mapStrings(value: unknown, f: (s: string) => string): unknown {
  if (typeof value === "string") return f(value);
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const x: unknown = value[i];
      const y = mapStrings(x, f);
      if (y !== x) (out ??= value.slice())[i] = y;
    }
    return out ?? value;
  }
  if (value === null || typeof value !== "object" || !isPlainObject(value)) return value;
  // Copied only from the first change on: most of an inventory holds no secret, and this runs
  // for every object in it.
  let out: Record<string, unknown> | undefined;
  const keys = Object.keys(value);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    const x = value[k];
    const key = f(k);
    const y = mapStrings(x, f);
    if (!out && (key !== k || y !== x)) {
      out = {};
      for (let j = 0; j < i; j++) out[keys[j]!] = value[keys[j]!];
    }
    if (out) out[key] = y;
  }
  return out ?? value;
}

/**
 * Replaces every registered secret, in any of the forms above, with `[REDACTED]`. Front ends
 * redact the data before rendering it (`redactDeep`: escaping for Markdown or HTML would
 * otherwise change a secret's spelling first) and everything they print afterwards (`redact`),
 * as lines of defence behind never putting tokens in messages at all.
 */
export class Redactor {
  private readonly secrets = new Set<string>();
  private matcher: Matcher | undefined;
  /** The shortest text any form of a registered secret can be found in (no secret: none). */
  private shortest = Infinity;

  /** Registers a secret (and its trimmed form: what an HTTP client sends); empty values are ignored. */
  add(secret: string | undefined): void {
    for (const s of [secret, secret?.trim()]) {
      if (!s || this.secrets.has(s)) continue;
      this.secrets.add(s);
      this.matcher = undefined;
      // Every form is as long as the secret or longer, but for partial echoes of a longer one.
      this.shortest = Math.min(this.shortest, s.length, s.length >= MIN_DERIVED && s.length > PARTIAL_ECHO ? PARTIAL_ECHO : Infinity);
    }
  }

  redact(text: string): string {
    // Text redacted before (data, then the rendered report) keeps its markers as they are, even
    // when a short secret is part of the word REDACTED.
    if (text.includes("REDACTED")) return text.split(MARKER).map((piece, i) => (i % 2 === 1 ? piece : this.redactPiece(piece))).join("");
    return this.redactPiece(text);
  }

  private redactPiece(text: string): string {
    let out = text;
    if (text.length >= this.shortest) {
      this.matcher ??= buildMatcher(this.secrets);
      out = replaceRanges(out, secretRanges(out, this.matcher));
    }
    return out.includes("Bearer") ? out.replace(BEARER, `$1${REDACTED}`) : out;
  }

  /**
   * A copy of plain data (a report, an inventory) with every string redacted; objects that did not
   * change are shared. Strings repeat across an inventory (principal and role IDs, scope prefixes):
   * each distinct one is redacted once.
   */
  redactDeep<T>(value: T): T {
    if (this.secrets.size === 0) return mapStrings(value, (s) => this.redact(s)) as T;
    const done = new Map<string, string>();
    return mapStrings(value, (s) => {
      let r = done.get(s);
      if (r === undefined) done.set(s, (r = this.redact(s)));
      return r;
    }) as T;
  }
}
