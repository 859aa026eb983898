/**
 * Reading a flexible federated credential's `claimsMatchingExpression` (the restricted expression
 * language Entra documents: `claims['<claim>'] eq|matches '<comparand>'` clauses joined by `and`,
 * where `matches` takes `*` for any run of characters and `?` for one): which claims it pins, how
 * many subjects it accepts, and whether one expression accepts everything another does.
 * Pure functions; no judgement of severity (that is the rules').
 */
import type { ClaimsMatchingExpression, FederatedCredential } from "../model/inventory.ts";

export interface ClaimsClause {
  claim: string;
  operator: "eq" | "matches";
  value: string;
}

/** The clauses of an expression, or undefined when it is not in the documented form. */
export function parseClaimsExpression(expression: string): ClaimsClause[] | undefined {
  // Read from an API or a snapshot, so unbounded; comparing two patterns costs their product.
  if (expression.length > MAX_EXPRESSION_LENGTH) return undefined;
  const parts = splitOnAnd(expression.trim());
  if (!parts) return undefined;
  const clauses: ClaimsClause[] = [];
  for (const part of parts) {
    // The comparand is single-quoted ('' is a quote inside it); bare ones appear in ARM's own example.
    const m = /^claims\[\s*'([^']+)'\s*\]\s+(eq|matches)\s+(?:'((?:[^']|'')*)'|([^\s']+))$/i.exec(part.trim());
    if (!m) return undefined;
    clauses.push({ claim: m[1]!, operator: m[2]!.toLowerCase() as ClaimsClause["operator"], value: m[3] !== undefined ? m[3].replace(/''/g, "'") : m[4]! });
  }
  return clauses;
}

/** Longer expressions are not read (they count as accepting more than one subject). */
export const MAX_EXPRESSION_LENGTH = 2048;

/** ` and ` between clauses, tried at one position (sticky): linear on long runs of spaces. */
const AND = /\s+and\s+/iy;

/** Splits on ` and ` outside quotes; undefined for an empty part or an unclosed quote. */
function splitOnAnd(text: string): string[] | undefined {
  const parts: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "'") quoted = !quoted; // '' inside a comparand toggles twice
    else if (!quoted && /\s/.test(text[i]!)) {
      AND.lastIndex = i;
      const m = AND.exec(text);
      if (m) {
        parts.push(text.slice(start, i));
        i += m[0].length - 1;
        start = i + 1;
      }
    }
  }
  parts.push(text.slice(start));
  return quoted || parts.some((p) => p.trim() === "") ? undefined : parts;
}

const hasWildcard = (clause: ClaimsClause) => clause.operator === "matches" && /[*?]/.test(clause.value);

/** What an expression accepts, as far as trustscope can tell. */
export interface ClaimsExpressionReading {
  /** Undefined when the expression could not be read. */
  clauses?: ClaimsClause[];
  /** The single `sub` value it accepts, when a clause pins the subject exactly. */
  exactSubject?: string;
  /** More than one subject can match: a wildcard in the subject, no subject clause, or an unreadable expression. */
  wide: boolean;
  /** What it matches, in words, one fact a line (for evidence). */
  matches: string[];
}

export function readClaimsExpression(expression: ClaimsMatchingExpression): ClaimsExpressionReading {
  const clauses = parseClaimsExpression(expression.value);
  if (!clauses) {
    return { wide: true, matches: [`the expression is not in the documented claims['…'] eq|matches '…' form, so nothing shows that it accepts a single subject`] };
  }
  const pin = clauses.find((c) => c.claim === "sub" && !hasWildcard(c));
  const matches = clauses.map(describeClause);
  if (pin) return { clauses, exactSubject: pin.value, wide: false, matches };
  if (!clauses.some((c) => c.claim === "sub")) matches.push("no clause constrains the subject (sub claim): any subject the issuer signs is accepted");
  return { clauses, wide: true, matches };
}

function describeClause(c: ClaimsClause): string {
  if (!hasWildcard(c)) return `claim '${c.claim}' must be exactly '${c.value}'`;
  const m = /^([^*?]*)\*$/.exec(c.value);
  const shape = m ? `any value that starts with '${m[1]}'` : `any value matching '${c.value}' (* is any run of characters, ? one character)`;
  return `claim '${c.claim}' may be ${shape}${c.claim === "sub" ? subjectReading(c.value) : ""}`;
}

/** What a wildcard subject means on the platforms that issue such subjects. */
function subjectReading(pattern: string): string {
  const github = /^repo:([^:]*)(?::(.*))?$/.exec(pattern);
  if (github) {
    const [owner, repo] = (github[1] ?? "").split("/");
    if (/[*?]/.test(owner ?? "")) return `: repositories of every GitHub owner matching '${owner}'`;
    if (repo === undefined || repo === "*") return `: any GitHub repository of '${owner}'`;
    if (/[*?]/.test(repo)) return `: GitHub repositories of '${owner}' matching '${repo}'`;
    const pr = `repo:${owner}/${repo}:pull_request`;
    return `: any workflow of GitHub repository '${owner}/${repo}' whose ref or environment matches${globMatches(pattern, pr) ? `, pull-request workflows included (${pr})` : ""}`;
  }
  const sa = /^system:serviceaccount:([^:]*):(.*)$/.exec(pattern);
  if (sa) return /[*?]/.test(sa[1]!) ? ": Kubernetes service accounts of any namespace" : `: any Kubernetes service account in namespace '${sa[1]}'`;
  return "";
}

// ---------------------------------------------------------------------------------------------
// Glob containment, for comparing two credentials

type Token = { kind: "char"; ch: string } | { kind: "one" } | { kind: "any" };

function tokens(pattern: string, glob: boolean): Token[] {
  return [...pattern].map((ch): Token => (glob && ch === "*" ? { kind: "any" } : glob && ch === "?" ? { kind: "one" } : { kind: "char", ch }));
}

/**
 * True when every string `inner` accepts is accepted by `outer` (a sufficient test: `outer`'s
 * `*` may absorb any of `inner`'s tokens, its `?` one character or `?`, its characters only
 * themselves).
 */
function contains(outer: Token[], inner: Token[]): boolean {
  // at[j]: outer[0..i) can cover inner[0..j).
  let at = Array.from({ length: inner.length + 1 }, (_, j) => j === 0);
  for (const o of outer) {
    const next = new Array<boolean>(inner.length + 1).fill(false);
    for (let j = 0; j <= inner.length; j++) {
      if (o.kind === "any") next[j] = at[j]! || (j > 0 && next[j - 1]!);
      else if (j > 0) {
        const t = inner[j - 1]!;
        const fits = o.kind === "one" ? t.kind !== "any" : t.kind === "char" && t.ch === o.ch;
        next[j] = at[j - 1]! && fits;
      }
    }
    at = next;
  }
  return at[inner.length]!;
}

/** Whether a `matches` pattern accepts this exact value. */
export function globMatches(pattern: string, value: string): boolean {
  return contains(tokens(pattern, true), tokens(value, false));
}

/** The claims a credential requires, as clauses (a plain credential: `sub` equals its subject). */
function requirements(c: FederatedCredential): ClaimsClause[] | undefined {
  if (c.claimsMatchingExpression) return parseClaimsExpression(c.claimsMatchingExpression.value);
  // Entra caps subjects far below this; a longer one (a hostile snapshot) is not compared.
  return c.subject.length > MAX_EXPRESSION_LENGTH ? undefined : [{ claim: "sub", operator: "eq", value: c.subject }];
}

/** Every token `inner` accepts, `outer` accepts too (same issuer; audiences aside). */
function accepts(outer: ClaimsClause[], inner: ClaimsClause[]): boolean {
  // A conjunction: each of outer's conditions must follow from one of inner's on the same claim.
  return outer.every((o) => inner.some((i) => i.claim === o.claim && contains(tokens(o.value, o.operator === "matches"), tokens(i.value, i.operator === "matches"))));
}

export type Breadth = "same" | "wider" | "narrower" | "different";

/** How what `after` accepts compares with what `before` accepted (different issuers are "different"). */
export function compareBreadth(before: FederatedCredential, after: FederatedCredential): Breadth {
  const b = requirements(before);
  const a = requirements(after);
  if (!a || !b || before.issuer !== after.issuer) return "different";
  const widens = accepts(a, b);
  const narrows = accepts(b, a);
  return widens && narrows ? "same" : widens ? "wider" : narrows ? "narrower" : "different";
}

/** What a credential matches, for messages: `subject 'x'` or `claims expression 'y'`. */
export function describeMatch(c: FederatedCredential): string {
  return c.claimsMatchingExpression ? `claims expression "${c.claimsMatchingExpression.value}"` : `subject '${c.subject}'`;
}

/** A key that tells credentials apart by what they match (subject or expression). */
export function matchKey(c: FederatedCredential): string {
  const e = c.claimsMatchingExpression;
  return e ? `\u0000expression:${e.languageVersion}:${e.value}${c.subject ? `\u0000${c.subject}` : ""}` : c.subject;
}

/** An expression as Graph beta or ARM returns it, when it is a usable one (collectors). */
export function expressionFromApi(e: { value?: unknown; languageVersion?: unknown } | null | undefined): ClaimsMatchingExpression | undefined {
  if (!e || typeof e.value !== "string" || !Number.isInteger(e.languageVersion)) return undefined;
  return { value: e.value, languageVersion: e.languageVersion as number };
}

/** Identity providers whose tokens Entra documents flexible credentials for, by issuer. */
export function flexibleIssuerPlatform(issuer: string): "GitHub" | "GitLab" | "Terraform Cloud" | undefined {
  if (issuer === "https://token.actions.githubusercontent.com") return "GitHub";
  if (/^https:\/\/gitlab(\.[A-Za-z0-9-]+)*\.(com|ca)$/.test(issuer)) return "GitLab";
  if (issuer === "https://app.terraform.io" || issuer === "https://app.eu.terraform.io") return "Terraform Cloud";
  return undefined;
}
