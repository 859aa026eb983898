/** The redactor: every form a server can plausibly echo a token in, for tokens of any length, fast. */
import { describe, expect, it } from "vitest";
import { PARTIAL_ECHO, REDACTED, Redactor } from "../src/util/redactor.ts";

/** Tokens with each of `_ - . /` (a Buildkite user token, a JWT, a client-secret-like value). */
const BK = "bkua_0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e";
const JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJidWlsZGtpdGUifQ.c2lnbmF0dXJl-MDEy_MzQ1";
const SLASHED = "arm/Tok.en-with_every/char0123456789";
const SHORT = "k3Y_q";

function redactorFor(...secrets: string[]): Redactor {
  const r = new Redactor();
  for (const s of secrets) r.add(s);
  return r;
}

const b64 = (s: string) => Buffer.from(s).toString("base64");
const b64url = (s: string) => Buffer.from(s).toString("base64url");
const reverse = (s: string) => [...s].reverse().join("");

/** Base64 of the token inside something larger leaves the larger thing's characters (4 for each 3 of its bytes). */
const WRAPPED: Record<string, number> = {
  "base64 of user:token": "x-access-token:".length,
  "base64 of :token": 1,
  "base64url of Bearer token": "Bearer ".length,
  "base64 in a JSON body": '{"token":"","n":1}'.length,
};

/** The echoes a server could send back, by name. */
function echoes(token: string): Record<string, string> {
  return {
    plain: token,
    "markdown-escaped": token.replace(/([\\`*_[\]<>|.-])/g, "\\$1"),
    "JSON-escaped": JSON.stringify(token).slice(1, -1).replace(/\//g, "\\/"),
    "JSON \\u-escaped": token.replace(/[^A-Za-z0-9]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`),
    "HTML-escaped": token.replace(/[^A-Za-z0-9]/g, (c) => `&#${c.charCodeAt(0)};`),
    "percent-encoded": encodeURIComponent(token).replace(/[-._~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`),
    "percent-encoded, lower-case hex": encodeURIComponent(token).toLowerCase(),
    "upper-case": token.toUpperCase(),
    "lower-case": token.toLowerCase(),
    base64: b64(token),
    "base64 without padding": b64(token).replace(/=+$/, ""),
    "base64url": b64url(token),
    "base64 of user:token": b64(`x-access-token:${token}`),
    "base64 of :token": b64(`:${token}`),
    "base64url of Bearer token": b64url(`Bearer ${token}`),
    "base64 in a JSON body": b64(JSON.stringify({ token, n: 1 })),
    hex: Buffer.from(token).toString("hex"),
    reversed: reverse(token),
    "first 20 characters": token.slice(0, 20),
    "a middle part": token.slice(10, 10 + PARTIAL_ECHO + 3),
  };
}

/** No run of PARTIAL_ECHO characters of `token` (any case), and not the token itself, is left in `text`. */
function expectGone(text: string, token: string): void {
  const lower = text.toLowerCase();
  if (token.length <= PARTIAL_ECHO) expect(text).not.toContain(token);
  for (let i = 0; i + PARTIAL_ECHO <= token.length; i++) expect(lower).not.toContain(token.slice(i, i + PARTIAL_ECHO).toLowerCase());
}

describe("Redactor", () => {
  for (const token of [BK, JWT, SLASHED]) {
    const r = redactorFor(token);
    for (const [form, echo] of Object.entries(echoes(token))) {
      it(`redacts ${token.slice(0, 8)}… echoed ${form}`, () => {
        const text = `error 401 from https://api.example/v1: "${echo}" was rejected`;
        const out = r.redact(text);
        expect(out).toContain(REDACTED);
        expect(out).toMatch(/^error 401 from https:\/\/api\.example\/v1: "/);
        expect(out).toMatch(/" was rejected$/);
        // What is left of an echo is at most the characters that mix in its neighbours' bits.
        const residue = Math.ceil(((WRAPPED[form] ?? 0) * 4) / 3) + 6;
        expect(out.length).toBeLessThanOrEqual(text.length - echo.length + REDACTED.length + residue);
        expectGone(out, token);
        for (const [, e] of Object.entries(echoes(token))) if (e.length >= PARTIAL_ECHO) expect(out).not.toContain(e);
      });
    }
  }

  it("redacts a short token exactly, wherever it is, and only its exact spelling", () => {
    const r = redactorFor(SHORT);
    expect(r.redact(`a ${SHORT} b${SHORT}c`)).toBe(`a ${REDACTED} b${REDACTED}c`);
    expect(r.redact(SHORT.replace("_", "\\_"))).toBe(REDACTED);
    expect(r.redact(encodeURIComponent(SHORT).replace("_", "%5F"))).toBe(REDACTED);
    // Case variants of a short secret are ordinary words too often to be taken for it.
    expect(r.redact(SHORT.toUpperCase())).toBe(SHORT.toUpperCase());
    const one = redactorFor("Q");
    expect(one.redact("Quite Queer")).toBe(`${REDACTED}uite ${REDACTED}ueer`);
  });

  it("keeps its own markers when text is redacted twice, even when a secret is part of the word", () => {
    const r = redactorFor("RED", BK);
    const once = r.redact(`x ${BK} RED y`);
    expect(once).toBe(`x ${REDACTED} ${REDACTED} y`);
    expect(r.redact(once)).toBe(once);
    expect(r.redact("\\[REDACTED\\]")).toBe("\\[REDACTED\\]");
  });

  it("leaves text without secrets alone, and redacts unregistered bearer tokens", () => {
    const r = redactorFor(BK, JWT);
    const text = "App registration 'deployer' (client 1234) can log in as /subscriptions/0b1f, bkua_ prefix, eyJ alone.";
    expect(r.redact(text)).toBe(text);
    expect(new Redactor().redact("Authorization: Bearer abc.def-ghi_jkl")).toBe(`Authorization: Bearer ${REDACTED}`);
  });

  it("registers the trimmed token too, and ignores empty values", () => {
    const r = redactorFor(`  ${BK}\n`, "", undefined as unknown as string);
    expect(r.redact(`token=${BK};`)).toBe(`token=${REDACTED};`);
    expect(r.redact("nothing")).toBe("nothing");
  });

  it("notices tokens added later", () => {
    const r = redactorFor(BK);
    expect(r.redact(JWT)).toBe(JWT);
    r.add(JWT);
    expect(r.redact(JWT)).toBe(REDACTED);
  });

  it("redacts data deeply, keys too, sharing what did not change and leaving other objects alone", () => {
    const r = redactorFor(BK);
    const untouched = { name: "prod", tags: ["a", "b"] };
    const when = new Date(0);
    const data = { a: untouched, b: [`x ${BK}`, 3, null, true], c: { [BK]: "key" }, when };
    const out = r.redactDeep(data);
    expect(out).not.toBe(data);
    expect(out.a).toBe(untouched);
    expect(out.b).toEqual([`x ${REDACTED}`, 3, null, true]);
    expect(out.c).toEqual({ [REDACTED]: "key" });
    expect(out.when).toBe(when);
    expect(data.b[0]).toBe(`x ${BK}`); // the input is not changed
    expect(r.redactDeep(untouched)).toBe(untouched);
  });

  it("stays fast on a multi-megabyte report with several long tokens registered", () => {
    const r = redactorFor(BK, JWT, SLASHED, SHORT, `${JWT}.${"x".repeat(1500)}`);
    const line = `  - evidence: pipeline 'deploy-prod' → credential 'c' → app 'a' → /subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333 ${b64("not a secret")}\n`;
    const text = line.repeat(Math.ceil(6_000_000 / line.length));
    r.redact("warm up");
    const started = performance.now();
    const out = r.redact(`${text}${BK}`);
    const ms = performance.now() - started;
    expect(out.endsWith(REDACTED)).toBe(true);
    expect(out.length).toBe(text.length + REDACTED.length);
    // About 50 ms on a laptop; the bound only catches quadratic behaviour on a busy machine.
    expect(ms).toBeLessThan(3000);
  });
});
