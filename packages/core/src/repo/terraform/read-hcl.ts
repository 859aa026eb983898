/**
 * Reads Terraform HCL (`.tf`, `.tfvars`) into blocks, attributes and a small expression tree,
 * each with its 1-based line. Structure and positions only: nothing is evaluated, and the grammar
 * (tree-sitter's Terraform dialect, run as WASM so no native build is needed) is more lenient than
 * Terraform, so this is a reader, not a validator. Bad input gives diagnostics, never a throw.
 *
 * Groundwork for issue 21: not yet part of the repository scan, so its parser packages are dev
 * dependencies of core (move them to `dependencies` when the scan imports this module).
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { Language, LANGUAGE_VERSION, MIN_COMPATIBLE_VERSION, Parser, type Node } from "web-tree-sitter";
import type { Diagnostic } from "../../model/repo.ts";
import { MAX_BYTES } from "../repo-files.ts";

export interface HclBody {
  blocks: HclBlock[];
  attributes: HclAttribute[];
}

/** `resource "azurerm_role_assignment" "x" { … }`: type `resource`, labels `["azurerm_role_assignment", "x"]`. */
export interface HclBlock {
  type: string;
  labels: string[];
  line: number;
  body: HclBody;
}

export interface HclAttribute {
  name: string;
  line: number;
  expression: HclExpression;
}

export interface HclObjectItem {
  /** A bare or quoted key's name; any other key expression as written. */
  key: string;
  line: number;
  value: HclExpression;
}

export type HclExpression =
  | { kind: "string"; value: string; line: number }
  | { kind: "number"; value: number; raw: string; line: number }
  | { kind: "bool"; value: boolean; line: number }
  | { kind: "null"; line: number }
  | { kind: "tuple"; items: HclExpression[]; line: number }
  | { kind: "object"; items: HclObjectItem[]; line: number }
  /**
   * A traversal: `azuread_application.x.client_id` → parts `["azuread_application", "x", "client_id"]`.
   * An index is a part as written with its brackets (`[0]`, `["a"]`), a splat is `*`.
   */
  | { kind: "reference"; raw: string; parts: string[]; line: number }
  /** A string or heredoc with `${…}` or `%{…}` in it, as written. */
  | { kind: "template"; raw: string; line: number }
  | { kind: "call"; name: string; args: HclExpression[]; line: number }
  /** Anything else (operators, conditionals, `for` expressions), as written. */
  | { kind: "other"; raw: string; line: number };

/** A parser with the Terraform grammar set (from `loadHclParser`). */
export type HclParser = Parser;

/** Blocks, objects, tuples and calls nested deeper than this are not read (a diagnostic says so). */
export const MAX_HCL_DEPTH = 64;
const GRAMMAR = "@tree-sitter-grammars/tree-sitter-hcl/tree-sitter-terraform.wasm";

let loading: Promise<HclParser> | undefined;

/** The HCL parser, loaded once per process (the WASM runtime and grammar are costly to start). */
export function loadHclParser(): Promise<HclParser> {
  loading ??= load().catch((e: unknown) => {
    loading = undefined;
    const why = (e instanceof Error ? e.message : String(e)).split("\n")[0];
    throw new Error(`cannot load the HCL parser: ${why}`);
  });
  return loading;
}

async function load(): Promise<HclParser> {
  await Parser.init();
  const wasm = createRequire(import.meta.url).resolve(GRAMMAR);
  const language = await Language.load(readFileSync(wasm));
  // Checked here so a grammar built for another runtime fails with a clear message, not mid-parse.
  const abi = language.abiVersion;
  if (abi < MIN_COMPATIBLE_VERSION || abi > LANGUAGE_VERSION) {
    throw new Error(`grammar ABI ${abi} is outside web-tree-sitter's ${MIN_COMPATIBLE_VERSION}–${LANGUAGE_VERSION}`);
  }
  const parser = new Parser();
  parser.setLanguage(language);
  return parser;
}

interface Ctx {
  file: string;
  /** The source, for heredoc text (node offsets are UTF-16 indices into it). */
  text: string;
  diagnostics: Diagnostic[];
  /** Set once the depth cap was hit, so one file gives one such diagnostic. */
  tooDeep: boolean;
}

/** Reads one HCL file. Syntax errors give a diagnostic; what parsed around them is still returned. */
export function readHcl(text: string, file: string, parser: HclParser): { body: HclBody; diagnostics: Diagnostic[] } {
  const body: HclBody = { blocks: [], attributes: [] };
  const diagnostics: Diagnostic[] = [];
  if (Buffer.byteLength(text, "utf8") > MAX_BYTES) {
    diagnostics.push({ file, line: 1, message: `not read: larger than ${MAX_BYTES} bytes` });
    return { body, diagnostics };
  }
  const tree = parser.parse(text);
  if (!tree) {
    diagnostics.push({ file, line: 1, message: "not valid HCL: the parser returned nothing" });
    return { body, diagnostics };
  }
  try {
    const root = tree.rootNode;
    if (root.hasError) {
      const bad = firstError(root);
      diagnostics.push({ file, line: (bad?.startPosition.row ?? 0) + 1, message: `not valid HCL: ${bad ? describeError(bad) : "syntax error"}` });
    }
    const ctx: Ctx = { file, text, diagnostics, tooDeep: false };
    for (const child of root.namedChildren) {
      if (child.type === "body") readBody(child, ctx, 0, body);
      // A `.tfvars.json`-like file is a bare object: its items read as attributes.
      else if (child.type === "object") {
        for (const item of readObject(child, ctx, 0)) body.attributes.push({ name: item.key, line: item.line, expression: item.value });
      }
    }
    return { body, diagnostics };
  } finally {
    tree.delete();
  }
}

/** The first ERROR or MISSING node in document order, found without recursion (nesting is unbounded). */
function firstError(root: Node): Node | undefined {
  const stack: Node[] = [root];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (n.isError || n.isMissing) return n;
    if (!n.hasError) continue;
    const kids = n.children;
    for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i]!);
  }
  return undefined;
}

function describeError(n: Node): string {
  if (n.isMissing) return `missing ${JSON.stringify(n.type)}`;
  const first = n.text.split("\n")[0]!.trim();
  return first ? `unexpected ${JSON.stringify(clip(first))}` : "unexpected input";
}

function clip(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

function lineOf(n: Node): number {
  return n.startPosition.row + 1;
}

function deeper(n: Node, ctx: Ctx, depth: number): boolean {
  if (depth < MAX_HCL_DEPTH) return false;
  if (!ctx.tooDeep) {
    ctx.tooDeep = true;
    ctx.diagnostics.push({ file: ctx.file, line: lineOf(n), message: `not read beyond ${MAX_HCL_DEPTH} levels of nesting` });
  }
  return true;
}

function readBody(n: Node, ctx: Ctx, depth: number, into: HclBody = { blocks: [], attributes: [] }): HclBody {
  if (deeper(n, ctx, depth)) return into;
  for (const child of n.namedChildren) {
    if (child.type === "attribute") {
      const name = child.namedChildren.find((c) => c.type === "identifier");
      const value = child.namedChildren.find((c) => c.type === "expression");
      if (name && value) into.attributes.push({ name: name.text, line: lineOf(child), expression: readExpression(value, ctx, depth + 1) });
    } else if (child.type === "block") {
      const block = readBlock(child, ctx, depth + 1);
      if (block) into.blocks.push(block);
    }
  }
  return into;
}

function readBlock(n: Node, ctx: Ctx, depth: number): HclBlock | undefined {
  const kids = n.namedChildren;
  const type = kids[0];
  if (type?.type !== "identifier") return undefined;
  const labels: string[] = [];
  let body: HclBody = { blocks: [], attributes: [] };
  for (const c of kids.slice(1)) {
    if (c.type === "string_lit") labels.push(stringValue(c));
    else if (c.type === "identifier") labels.push(c.text);
    else if (c.type === "body") body = readBody(c, ctx, depth);
  }
  return { type: type.text, labels, line: lineOf(n), body };
}

function readExpression(n: Node, ctx: Ctx, depth: number): HclExpression {
  const line = lineOf(n);
  const other = (): HclExpression => ({ kind: "other", raw: n.text, line });
  if (deeper(n, ctx, depth)) return other();
  const kids = n.namedChildren;
  if (n.type === "expression") {
    const head = kids[0];
    if (!head) return other();
    if (head.type === "variable_expr") return readTraversal(n, kids) ?? other();
    // Parentheses and other wrappers: `expression` directly inside `expression`.
    if (kids.length === 1) return readExpression(head, ctx, depth + 1);
    return other();
  }
  switch (n.type) {
    case "literal_value":
      return kids[0] ? readLiteral(kids[0], line) ?? other() : other();
    case "collection_value":
      return kids[0] ? readExpression(kids[0], ctx, depth) : other();
    case "tuple":
      return { kind: "tuple", items: kids.filter((c) => c.type === "expression").map((c) => readExpression(c, ctx, depth + 1)), line };
    case "object":
      return { kind: "object", items: readObject(n, ctx, depth), line };
    case "function_call": {
      const name = kids.find((c) => c.type === "identifier");
      const args = kids.find((c) => c.type === "function_arguments")?.namedChildren ?? [];
      if (!name) return other();
      return { kind: "call", name: name.text, args: args.filter((c) => c.type === "expression").map((c) => readExpression(c, ctx, depth + 1)), line };
    }
    case "template_expr": {
      const t = kids[0];
      if (!t) return other();
      const interpolated = t.namedChildren.some((c) => c.type === "template_interpolation" || c.type === "template_directive");
      if (interpolated) return { kind: "template", raw: n.text, line };
      if (t.type === "heredoc_template") return { kind: "string", value: heredocValue(t, ctx.text), line };
      return { kind: "string", value: unescape(t.namedChildren.filter((c) => c.type === "template_literal").map((c) => c.text).join("")), line };
    }
    default:
      return other();
  }
}

function readLiteral(n: Node, line: number): HclExpression | undefined {
  switch (n.type) {
    case "string_lit":
      return { kind: "string", value: stringValue(n), line };
    case "numeric_lit": {
      const value = Number(n.text);
      return Number.isFinite(value) ? { kind: "number", value, raw: n.text, line } : undefined;
    }
    case "bool_lit":
      return { kind: "bool", value: n.text === "true", line };
    case "null_lit":
      return { kind: "null", line };
    default:
      return undefined;
  }
}

/** `a.b[0].c`, `x[*].id`: an `expression` whose children are a variable then accessors. */
function readTraversal(n: Node, kids: Node[]): HclExpression | undefined {
  const parts: string[] = [];
  for (const k of kids) {
    if (k.type === "variable_expr" || k.type === "get_attr") {
      const id = k.namedChildren.find((c) => c.type === "identifier");
      if (!id) return undefined;
      parts.push(id.text);
    } else if (k.type === "index") parts.push(k.text);
    else if (k.type === "splat") {
      parts.push("*");
      // The accessors after a splat (`[*].id`) are its children.
      for (const s of k.namedChildren[0]?.namedChildren ?? []) {
        if (s.type === "get_attr") parts.push(s.namedChildren.find((c) => c.type === "identifier")?.text ?? s.text);
        else parts.push(s.text);
      }
    } else return undefined;
  }
  return { kind: "reference", raw: n.text, parts, line: lineOf(n) };
}

function readObject(n: Node, ctx: Ctx, depth: number): HclObjectItem[] {
  const items: HclObjectItem[] = [];
  if (deeper(n, ctx, depth)) return items;
  for (const elem of n.namedChildren) {
    if (elem.type !== "object_elem") continue;
    const key = elem.childForFieldName("key");
    const val = elem.childForFieldName("val");
    if (!key || !val) continue;
    items.push({ key: objectKey(key), line: lineOf(elem), value: readExpression(val, ctx, depth + 1) });
  }
  return items;
}

/** A bare identifier key is its name (HCL reads `{ a = 1 }` as the key "a"), a string its value. */
function objectKey(key: Node): string {
  const kids = key.namedChildren;
  const only = kids.length === 1 ? kids[0]! : undefined;
  if (only?.type === "variable_expr") return only.text;
  if (only?.type === "literal_value" && only.namedChildren[0]?.type === "string_lit") return stringValue(only.namedChildren[0]);
  return key.text;
}

function stringValue(n: Node): string {
  return unescape(n.namedChildren.filter((c) => c.type === "template_literal").map((c) => c.text).join(""));
}

const ESCAPES: Record<string, string> = { n: "\n", r: "\r", t: "\t", '"': '"', "\\": "\\" };

/** HCL's quoted-string escapes, and `$${`/`%%{` for a literal `${`/`%{`. */
function unescape(s: string): string {
  return s.replace(/\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)|\$\$\{|%%\{/gs, (m: string, esc: string | undefined) => {
    if (esc === undefined) return m.slice(1);
    if (esc.length > 1) {
      const cp = Number.parseInt(esc.slice(1), 16);
      return cp <= 0x10ffff ? String.fromCodePoint(cp) : m;
    }
    return ESCAPES[esc] ?? m;
  });
}

/** A heredoc without interpolation: its lines, with `<<-` removing the common indentation. */
function heredocValue(n: Node, src: string): string {
  const ids = n.namedChildren.filter((c) => c.type === "heredoc_identifier");
  const open = ids[0];
  const close = ids[ids.length - 1];
  if (!open || !close || open === close) return "";
  const inner = trimBlanksEnd(src.slice(open.endIndex, close.startIndex).replace(/^\r?\n/, ""));
  const strip = n.namedChildren.find((c) => c.type === "heredoc_start")?.text === "<<-";
  if (!strip) return inner;
  const lines = inner.split("\n");
  // A loop, not Math.min(...): a heredoc of a few hundred thousand lines would overflow the stack.
  let cut = Infinity;
  for (const l of lines) if (l.trim() !== "") cut = Math.min(cut, /^[ \t]*/.exec(l)![0].length);
  if (cut === Infinity) cut = 0;
  return lines.map((l) => l.slice(cut)).join("\n");
}

/** Trailing spaces and tabs removed by a loop: `/[ \t]*$/` retries at every blank, quadratic on a long run of them. */
function trimBlanksEnd(s: string): string {
  let end = s.length;
  while (end > 0 && (s[end - 1] === " " || s[end - 1] === "\t")) end--;
  return s.slice(0, end);
}
