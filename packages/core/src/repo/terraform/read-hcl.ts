/**
 * Reads Terraform HCL (`.tf`, `.tfvars`) into blocks, attributes and a small expression tree,
 * each with its 1-based line. Structure and positions only: nothing is evaluated, and the grammar
 * (tree-sitter's Terraform dialect, run as WASM so no native build is needed) is more lenient than
 * Terraform, so this is a reader, not a validator. Bad input gives diagnostics, never a throw.
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
// Types only here: the WASM runtime is imported when a parser is first loaded (a repository scan),
// so nothing else pays for it.
import type { Node, Parser } from "web-tree-sitter";
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
  /** For a key that is neither a bare name nor a plain string (`(var.k)`, `"${p}-x"`): its expression. */
  keyExpression?: HclExpression;
  line: number;
  value: HclExpression;
}

/** A piece of a template: literal text (escapes applied), an interpolation, or a `%{ }` directive kept as written. */
export type HclTemplatePart = { kind: "literal"; value: string } | { kind: "interpolation"; expression: HclExpression } | { kind: "directive"; raw: string };

export type HclExpression =
  | { kind: "string"; value: string; line: number }
  | { kind: "number"; value: number; raw: string; line: number }
  | { kind: "bool"; value: boolean; line: number }
  | { kind: "null"; line: number }
  | { kind: "tuple"; items: HclExpression[]; line: number }
  | { kind: "object"; items: HclObjectItem[]; line: number }
  /**
   * A traversal: `azuread_application.x.client_id` → parts `["azuread_application", "x", "client_id"]`.
   * An index is a part as written with its brackets (`[0]`, `["a"]`), a splat is `*`. A traversal
   * with any other index (`x.p[each.key].id`) is an `index` around the traversal before it.
   */
  | { kind: "reference"; raw: string; parts: string[]; line: number }
  /** A string or heredoc with `${…}` or `%{…}` in it: as written, and its parts. */
  | { kind: "template"; raw: string; parts: HclTemplatePart[]; line: number }
  | { kind: "call"; name: string; args: HclExpression[]; line: number }
  /** `c ? a : b`. */
  | { kind: "conditional"; raw: string; condition: HclExpression; then: HclExpression; else: HclExpression; line: number }
  /** `-x`, `!x`. */
  | { kind: "unary"; raw: string; op: string; operand: HclExpression; line: number }
  /** `a == b`, `a && b`, `a + b`, … */
  | { kind: "binary"; raw: string; op: string; left: HclExpression; right: HclExpression; line: number }
  /**
   * `[for k, v in coll : value if cond]` (form `tuple`) and `{for k, v in coll : key => value... if cond}`
   * (form `object`; `group` for the `...`). With one variable, `valueVar` is it and `keyVar` is absent.
   */
  | {
      kind: "for";
      raw: string;
      form: "tuple" | "object";
      keyVar?: string;
      valueVar: string;
      collection: HclExpression;
      key?: HclExpression;
      value: HclExpression;
      condition?: HclExpression;
      group: boolean;
      line: number;
    }
  /** `expr[key]` on anything that is not a plain traversal. */
  | { kind: "index"; raw: string; target: HclExpression; key: HclExpression; line: number }
  /** `expr.name` after an index or on a non-reference (`f(x).name`). */
  | { kind: "getattr"; raw: string; target: HclExpression; name: string; line: number }
  /** `expr[*].a.b` on anything that is not a plain traversal: `parts` are the accessors after the splat, as in `reference`. */
  | { kind: "splat"; raw: string; target: HclExpression; parts: string[]; line: number }
  /** Anything else, as written. */
  | { kind: "other"; raw: string; line: number };

/** A parser with the Terraform grammar set (from `loadHclParser`). */
export type HclParser = Parser;

/** Blocks, objects, tuples and calls nested deeper than this are not read (a diagnostic says so). */
export const MAX_HCL_DEPTH = 64;
/**
 * The two WASM files: the package path, and the file beside this module that the GitHub Action's
 * bundle has instead of node_modules (its build copies them there; these are literal, non-relative
 * URLs so the bundler leaves them alone).
 */
export const HCL_WASM_FILES = {
  runtime: "web-tree-sitter/web-tree-sitter.wasm",
  grammar: "@tree-sitter-grammars/tree-sitter-hcl/tree-sitter-terraform.wasm",
} as const;
const BESIDE = { runtime: new URL("web-tree-sitter.wasm", import.meta.url), grammar: new URL("tree-sitter-terraform.wasm", import.meta.url) };

function wasmBytes(which: keyof typeof HCL_WASM_FILES): Buffer {
  const beside = fileURLToPath(BESIDE[which]);
  if (existsSync(beside)) return readFileSync(beside);
  // Any file name in this module's directory serves as createRequire's base.
  return readFileSync(createRequire(new URL("read-hcl.js", import.meta.url)).resolve(HCL_WASM_FILES[which]));
}

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
  const { Language, LANGUAGE_VERSION, MIN_COMPATIBLE_VERSION, Parser } = await import("web-tree-sitter");
  await Parser.init({ wasmBinary: wasmBytes("runtime") });
  const language = await Language.load(wasmBytes("grammar"));
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
      const found = firstError(root);
      // An ERROR that wraps what parsed before it (a whole block) starts where the block does; the
      // parser gave up at its last piece, which is where the reader should look.
      const topLevel = found !== undefined && (found.parent === null || found.parent.type === "config_file" || (found.parent.type === "body" && found.parent.parent?.type === "config_file"));
      const bad = found?.isError && topLevel && found.childCount > 0 && found.startPosition.row !== found.endPosition.row ? (found.child(found.childCount - 1) ?? found) : found;
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
  // Inside a parse error (an unterminated string at the end of a cut file reads as its prefix):
  // nothing is taken from it, so a broken file invents no value.
  if (n.hasError || n.isMissing) return other();
  const kids = n.namedChildren;
  if (n.type === "expression") return readSequence(n, kids, ctx, depth);
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
      if (interpolated) return { kind: "template", raw: n.text, parts: templateParts(t, ctx, depth), line };
      if (t.type === "heredoc_template") return { kind: "string", value: heredocValue(t, ctx.text), line };
      return { kind: "string", value: unescape(t.namedChildren.filter((c) => c.type === "template_literal").map((c) => c.text).join("")), line };
    }
    case "operation":
      return kids.length === 1 ? readExpression(kids[0]!, ctx, depth + 1) : other();
    case "unary_operation": {
      const op = n.children[0];
      if (!op || op.isNamed) return other();
      return { kind: "unary", raw: n.text, op: op.text, operand: readSequence(n, n.children.slice(1).filter((c) => c.isNamed), ctx, depth + 1, true), line };
    }
    case "binary_operation": {
      // The operands are inlined: `var.x == 1` is variable_expr, get_attr, `==`, literal_value.
      const all = n.children;
      // The first anonymous token after an operand that is not a parenthesis is the operator.
      const at = all.findIndex((c, i) => i > 0 && !c.isNamed && c.type !== "(" && c.type !== ")");
      if (at <= 0) return other();
      const left = readSequence(n, all.slice(0, at).filter((c) => c.isNamed), ctx, depth + 1, true);
      const right = readSequence(n, all.slice(at + 1).filter((c) => c.isNamed), ctx, depth + 1, true);
      return { kind: "binary", raw: n.text, op: all[at]!.text, left, right, line };
    }
    case "conditional": {
      const parts = kids.filter((c) => c.type === "expression");
      if (parts.length !== 3) return other();
      const [c, a, b] = parts.map((x) => readExpression(x, ctx, depth + 1)) as [HclExpression, HclExpression, HclExpression];
      return { kind: "conditional", raw: n.text, condition: c, then: a, else: b, line };
    }
    case "for_expr":
      return kids[0] ? readFor(kids[0], ctx, depth + 1) ?? other() : other();
    default:
      return other();
  }
}

/**
 * A term and its accessors (`a.b[0]`, `f(x)[0].y`, `[for …][0]`): the children of an
 * `expression`, or an operand inlined in an operation. `own` when the nodes are not the children
 * of `n` alone (an operand), so `n.text` is not the term's text.
 */
function readSequence(n: Node, kids: Node[], ctx: Ctx, depth: number, own = false): HclExpression {
  const line = lineOf(kids[0] ?? n);
  const raw = own ? textOf(kids, ctx) : n.text;
  const head = kids[0];
  if (!head) return { kind: "other", raw, line };
  if (head.type === "variable_expr") {
    const plain = readTraversal(kids, raw, line);
    if (plain) return plain;
  }
  // Parentheses and other wrappers: `expression` directly inside `expression`.
  if (kids.length === 1) return readExpression(head, ctx, depth + 1);
  let target: HclExpression;
  let i = 1;
  if (head.type === "variable_expr") {
    // The longest plain traversal first (`x.p`), then the accessors after it one by one.
    let cut = 1;
    while (cut < kids.length && kids[cut]!.type === "get_attr") cut++;
    target = readTraversal(kids.slice(0, cut), textOf(kids.slice(0, cut), ctx), line) ?? { kind: "other", raw: head.text, line };
    i = cut;
  } else {
    target = readExpression(head, ctx, depth + 1);
  }
  for (; i < kids.length; i++) {
    const k = kids[i]!;
    const sofar = textOf(kids.slice(0, i + 1), ctx);
    if (k.type === "get_attr") {
      const id = k.namedChildren.find((c) => c.type === "identifier");
      if (!id) return { kind: "other", raw, line };
      target = { kind: "getattr", raw: sofar, target, name: id.text, line };
    } else if (k.type === "index") {
      const inner = k.namedChildren[0];
      let key: HclExpression;
      if (inner?.type === "legacy_index") key = { kind: "number", value: Number(inner.text.replace(/^\./, "")), raw: inner.text.replace(/^\./, ""), line };
      else {
        const e = inner?.namedChildren.find((c) => c.type === "expression");
        if (!e) return { kind: "other", raw, line };
        key = readExpression(e, ctx, depth + 1);
      }
      target = { kind: "index", raw: sofar, target, key, line };
    } else if (k.type === "splat") {
      const parts = splatParts(k);
      if (i !== kids.length - 1) return { kind: "other", raw, line };
      target = { kind: "splat", raw: sofar, target, parts, line };
    } else return { kind: "other", raw, line };
  }
  return target;
}

function textOf(nodes: Node[], ctx: Ctx): string {
  const first = nodes[0];
  const last = nodes[nodes.length - 1];
  return first && last ? ctx.text.slice(first.startIndex, last.endIndex) : "";
}

function readFor(n: Node, ctx: Ctx, depth: number): HclExpression | undefined {
  const kids = n.namedChildren;
  const intro = kids.find((c) => c.type === "for_intro");
  if (!intro) return undefined;
  const names = intro.namedChildren.filter((c) => c.type === "identifier").map((c) => c.text);
  const collection = intro.namedChildren.find((c) => c.type === "expression");
  if (!collection || names.length < 1 || names.length > 2) return undefined;
  const exprs = kids.filter((c) => c.type === "expression");
  const cond = kids.find((c) => c.type === "for_cond")?.namedChildren.find((c) => c.type === "expression");
  const object = n.type === "for_object_expr";
  if (exprs.length !== (object ? 2 : 1)) return undefined;
  const read = (x: Node): HclExpression => readExpression(x, ctx, depth + 1);
  return {
    kind: "for",
    raw: n.text,
    form: object ? "object" : "tuple",
    ...(names.length === 2 ? { keyVar: names[0]! } : {}),
    valueVar: names[names.length - 1]!,
    collection: read(collection),
    ...(object ? { key: read(exprs[0]!) } : {}),
    value: read(exprs[exprs.length - 1]!),
    ...(cond ? { condition: read(cond) } : {}),
    group: kids.some((c) => c.type === "ellipsis"),
    line: lineOf(n),
  };
}

/** The literal text between interpolations and directives, as the source has it (whitespace included). */
function templateParts(t: Node, ctx: Ctx, depth: number): HclTemplatePart[] {
  const heredoc = t.type === "heredoc_template";
  const kids = t.namedChildren;
  let from: number;
  let to: number;
  if (heredoc) {
    const ids = kids.filter((c) => c.type === "heredoc_identifier");
    const open = ids[0];
    const close = ids[ids.length - 1];
    if (!open || !close || open === close) return [];
    from = open.endIndex;
    if (ctx.text.startsWith("\r\n", from)) from += 2;
    else if (ctx.text.startsWith("\n", from)) from += 1;
    to = close.startIndex;
  } else {
    from = kids.find((c) => c.type === "quoted_template_start")?.endIndex ?? t.startIndex;
    to = kids.find((c) => c.type === "quoted_template_end")?.startIndex ?? t.endIndex;
  }
  const strip = heredoc && kids.find((c) => c.type === "heredoc_start")?.text === "<<-" ? indentOf(ctx.text.slice(from, to)) : 0;
  const parts: HclTemplatePart[] = [];
  let pos = from;
  let atLineStart = true;
  const literal = (end: number, last: boolean): void => {
    let s = ctx.text.slice(pos, end);
    if (last && heredoc) s = trimBlanksEnd(s);
    if (strip > 0) s = dedent(s, strip, atLineStart);
    if (s.length > 0) atLineStart = s.endsWith("\n");
    else return;
    parts.push({ kind: "literal", value: heredoc ? s.replace(/\$\$\{|%%\{/g, (m) => m.slice(1)) : unescape(s) });
  };
  for (const c of kids) {
    if (c.type !== "template_interpolation" && c.type !== "template_directive") continue;
    literal(c.startIndex, false);
    atLineStart = false;
    if (c.type === "template_interpolation") {
      const e = c.namedChildren.find((x) => x.type === "expression");
      parts.push(e ? { kind: "interpolation", expression: readExpression(e, ctx, depth + 1) } : { kind: "directive", raw: c.text });
    } else parts.push({ kind: "directive", raw: c.text });
    pos = c.endIndex;
  }
  literal(to, true);
  return parts;
}

/** The common indentation of a `<<-` heredoc's non-blank lines. */
function indentOf(inner: string): number {
  let cut = Infinity;
  for (const l of inner.split("\n")) if (l.trim() !== "") cut = Math.min(cut, /^[ \t]*/.exec(l)![0].length);
  return cut === Infinity ? 0 : cut;
}

/** Removes up to `cut` blanks after each line break (and at the start when it begins a line). */
function dedent(s: string, cut: number, atLineStart: boolean): string {
  const lines = s.split("\n");
  return lines
    .map((l, i) => {
      if (i === 0 && !atLineStart) return l;
      let k = 0;
      while (k < cut && k < l.length && (l[k] === " " || l[k] === "\t")) k++;
      return l.slice(k);
    })
    .join("\n");
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

/** `a.b[0].c`, `x[*].id`: a variable then accessors, whose indexes are all literal numbers or strings. */
function readTraversal(kids: Node[], raw: string, line: number): HclExpression | undefined {
  const parts: string[] = [];
  for (const [i, k] of kids.entries()) {
    if (k.type === "variable_expr" || k.type === "get_attr") {
      const id = k.namedChildren.find((c) => c.type === "identifier");
      if (!id) return undefined;
      parts.push(id.text);
    } else if (k.type === "index") {
      if (!literalIndex(k)) return undefined;
      parts.push(k.text);
    } else if (k.type === "splat") {
      if (i !== kids.length - 1) return undefined;
      parts.push("*", ...splatParts(k));
    } else return undefined;
  }
  return { kind: "reference", raw, parts, line };
}

/** `[0]`, `["a"]`, `.0`: an index the traversal keeps as text. */
function literalIndex(k: Node): boolean {
  const inner = k.namedChildren[0];
  if (inner?.type === "legacy_index") return true;
  const e = inner?.namedChildren.find((c) => c.type === "expression");
  const kids = e?.namedChildren ?? [];
  if (kids.length !== 1 || kids[0]!.type !== "literal_value") return false;
  const lit = kids[0]!.namedChildren[0];
  if (lit?.type === "numeric_lit") return true;
  return lit?.type === "string_lit" && !lit.namedChildren.some((c) => c.type !== "template_literal" && c.type !== "quoted_template_start" && c.type !== "quoted_template_end");
}

/** The accessors after a splat (`[*].id`), which are its children. */
function splatParts(k: Node): string[] {
  const parts: string[] = [];
  for (const s of k.namedChildren[0]?.namedChildren ?? []) {
    if (s.type === "get_attr") parts.push(s.namedChildren.find((c) => c.type === "identifier")?.text ?? s.text);
    else parts.push(s.text);
  }
  return parts;
}

function readObject(n: Node, ctx: Ctx, depth: number): HclObjectItem[] {
  const items: HclObjectItem[] = [];
  if (deeper(n, ctx, depth)) return items;
  for (const elem of n.namedChildren) {
    if (elem.type !== "object_elem") continue;
    const key = elem.childForFieldName("key");
    const val = elem.childForFieldName("val");
    if (!key || !val) continue;
    const name = objectKey(key);
    const item: HclObjectItem = { key: name.key, line: lineOf(elem), value: readExpression(val, ctx, depth + 1) };
    if (!name.simple) item.keyExpression = readExpression(key, ctx, depth + 1);
    items.push(item);
  }
  return items;
}

/** A bare identifier key is its name (HCL reads `{ a = 1 }` as the key "a"), a string its value. */
function objectKey(key: Node): { key: string; simple: boolean } {
  const kids = key.namedChildren;
  const only = kids.length === 1 ? kids[0]! : undefined;
  if (only?.type === "variable_expr") return { key: only.text, simple: true };
  if (only?.type === "literal_value" && only.namedChildren[0]?.type === "string_lit") return { key: stringValue(only.namedChildren[0]), simple: true };
  return { key: key.text, simple: false };
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
