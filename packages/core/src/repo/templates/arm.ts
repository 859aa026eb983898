/**
 * Reads ARM JSON templates (deploymentTemplate schema, comments allowed): parameters with their
 * defaultValue, variables, resources as an array or (languageVersion 2.0) an object of symbolic
 * names, nested child `resources` with relative types, and `Microsoft.Resources/deployments`
 * with an inline `template` (outer or inner expression scope).
 */
import { parse, parseTree, printParseErrorCode, type Node as JsonNode, type ParseError } from "jsonc-parser";
import type { Diagnostic, TemplateFacts } from "../../model/repo.ts";
import { MAX_JSON_DEPTH, tooDeepAt } from "../../util/json-guard.ts";
import { isArmExpression, parseArmExpression } from "./arm-expression.ts";
import { Evaluator, Scope, type ResourceNode } from "./evaluate.ts";
import type { Expr, ObjectExpr, Prop } from "./expr.ts";
import { propOf, raw } from "./expr.ts";
import { FactCollector, qualify } from "./facts.ts";
import type { TemplateHost } from "./index.ts";
import type { Budget, DiagnosticSink } from "./support.ts";
import { clip, emptyFacts, LineIndex, runTemplateReader } from "./support.ts";

/** JSON syntax errors listed one by one before the rest are counted. */
const MAX_SYNTAX_ERRORS = 5;

export interface ReadResult {
  facts: TemplateFacts;
  diagnostics: Diagnostic[];
}

/** `readArmTemplate` plus the work it did (for tests that bound it). */
export function readArmTemplateWithStats(text: string, file: string, host?: TemplateHost): ReadResult & { steps: number } {
  return runTemplateReader(text, file, "template", (src, lines, diags, budget) => readJson(src, file, lines, diags, budget, host));
}

/** The parameter file Azure tooling pairs with a template by name: `main.json` → `main.parameters.json`. */
export function parameterFileFor(file: string): string | undefined {
  if (!/\.json$/i.test(file) || /\.parameters\.json$/i.test(file)) return undefined;
  return file.replace(/\.json$/i, ".parameters.json");
}

/** Longest parameter file read (larger ones are not used; defaults stand). */
const MAX_PARAMETER_FILE = 1 << 20;

/**
 * Parameter values from the parameter file beside the template (they win over defaults). A
 * Key Vault `reference` is a value only the deployment knows. Problems are notes: the template
 * itself is read either way, with its defaults.
 */
function parameterFileValues(file: string, host: TemplateHost | undefined, diags: DiagnosticSink, budget: Budget): Map<string, Override> | undefined {
  const path = host ? parameterFileFor(file) : undefined;
  if (!host || path === undefined) return undefined;
  let got: ReturnType<TemplateHost["read"]>;
  try {
    got = host.read(path);
  } catch (e) {
    got = { problem: e instanceof Error ? e.message : String(e) };
  }
  if (got === undefined) return undefined;
  const note = (message: string): void => diags.atLine(1, message, true, "parameter-file");
  if ("problem" in got) {
    note(`the parameter file ${path} cannot be read (${clip(got.problem)}); parameter defaults are used`);
    return undefined;
  }
  const text = got.text.startsWith("\uFEFF") ? ` ${got.text.slice(1)}` : got.text;
  if (text.length > MAX_PARAMETER_FILE || tooDeepAt(text, MAX_JSON_DEPTH) !== undefined) {
    note(`the parameter file ${path} is too large or too deep to read; parameter defaults are used`);
    return undefined;
  }
  const tolerant = patchRawControlChars(text);
  const errors: ParseError[] = [];
  const root = parseTree(tolerant.text, errors, JSONC_OPTIONS);
  budget.tick(text.length);
  const top = root && errors.length === 0 ? new JsonConverter(text, tolerant, new LineIndex(text), errors, budget).convert(root) : undefined;
  const params = top?.k === "object" ? propOf(top, "parameters")?.value : undefined;
  if (params?.k !== "object") {
    note(`the parameter file ${path} is not a readable parameter file; parameter defaults are used`);
    return undefined;
  }
  // Values in a parameter file are data, not template expressions: read them in a scope of their own.
  const scope = new Scope(true);
  const values = new Map<string, Override>();
  for (const p of params.props) {
    budget.tick();
    const value = p.value.k === "object" ? propOf(p.value, "value")?.value : undefined;
    values.set(p.key.toLowerCase(), { expr: value, scope });
  }
  note(`parameter values are read from ${path}; they take the place of the template's defaults`);
  return values;
}

function readJson(text: string, file: string, lines: LineIndex, diags: DiagnosticSink, budget: Budget, host?: TemplateHost): TemplateFacts {
  // A byte-order mark is not JSON; a space in its place keeps every offset.
  const src = text.startsWith("\uFEFF") ? ` ${text.slice(1)}` : text;
  // jsonc-parser recurses per nesting level; refuse pathological depth before it does.
  const deep = tooDeepAt(src, MAX_JSON_DEPTH, () => budget.tick());
  if (deep !== undefined) {
    diags.atOffset(deep, `JSON nested deeper than ${MAX_JSON_DEPTH} levels; the file is not read`);
    return emptyFacts();
  }

  const tolerant = patchRawControlChars(src);
  const errors: ParseError[] = [];
  const root = parseTree(tolerant.text, errors, JSONC_OPTIONS);
  budget.tick(src.length);
  errors.slice(0, MAX_SYNTAX_ERRORS).forEach((e) => diags.atOffset(e.offset, `malformed JSON: ${describeError(printParseErrorCode(e.error))}`));
  if (errors.length > MAX_SYNTAX_ERRORS) {
    diags.atOffset(errors[MAX_SYNTAX_ERRORS]!.offset, `malformed JSON: ${errors.length - MAX_SYNTAX_ERRORS} more syntax error(s)`);
  }
  if (!root || root.type !== "object") {
    if (errors.length === 0) diags.atOffset(root?.offset ?? 0, "not an ARM template: the JSON is not an object");
    return emptyFacts();
  }

  const converter = new JsonConverter(src, tolerant, lines, errors, budget);
  const top = converter.convert(root);
  if (top.k !== "object") return emptyFacts();
  const ev = new Evaluator(budget);
  const collector = new FactCollector(ev, diags, file);
  const fromFile = parameterFileValues(file, host, diags, budget);
  new ArmReader(ev, collector, diags, converter.tainted, budget).template(top, new Scope(true), fromFile, []);
  return collector.facts;
}

/** jsonc-parser options for ARM text (comments and trailing commas, as Azure accepts them). */
const JSONC_OPTIONS = { allowTrailingComma: true, disallowComments: false, allowEmptyContent: false } as const;

/**
 * Azure's template parser accepts raw control characters (a line break, a tab) inside a string
 * literal, which JSON does not: `"[concat(\n  'a')]"` and multi-line `scriptContent`. This gives
 * a same-length copy of the text in which each such character inside a closed string is a space
 * (so every offset, hence every line, is unchanged) and the offsets it replaced, to restore the
 * string values. Comments are skipped; an unterminated string is left alone (it stays an error).
 */
export function patchRawControlChars(src: string): { text: string; patched: number[] } {
  const patched: number[] = [];
  let i = 0;
  const n = src.length;
  while (i < n) {
    const c = src.charCodeAt(i);
    if (c === 0x2f /* / */ && src[i + 1] === "/") {
      const end = src.indexOf("\n", i);
      i = end < 0 ? n : end;
    } else if (c === 0x2f && src[i + 1] === "*") {
      const end = src.indexOf("*/", i + 2);
      i = end < 0 ? n : end + 2;
    } else if (c === 0x22 /* " */) {
      const pending: number[] = [];
      let j = i + 1;
      let closed = false;
      while (j < n) {
        const d = src.charCodeAt(j);
        if (d === 0x5c /* \ */) j += 2;
        else if (d === 0x22) {
          closed = true;
          break;
        } else {
          if (d < 0x20) pending.push(j);
          j++;
        }
      }
      if (closed) patched.push(...pending);
      i = j + 1;
    } else i++;
  }
  if (patched.length === 0) return { text: src, patched };
  const chars = src.split("");
  for (const at of patched) chars[at] = " ";
  return { text: chars.join(""), patched };
}

/**
 * Whether a JSON file's text is an ARM template as Azure reads it (multi-line strings and comments
 * allowed): a `$schema` naming a deploymentTemplate, or `resources` with `contentVersion`. Text
 * that hints at a template but does not parse counts as one, so the reader reports its errors.
 */
export function looksLikeArmTemplate(text: string): boolean {
  if (typeof text !== "string" || !/deploymentTemplate|"contentVersion"/.test(text)) return false;
  const src = text.startsWith("\uFEFF") ? ` ${text.slice(1)}` : text;
  // Too deep to parse safely: the reader reports it (a gap) rather than a crash in the caller.
  if (tooDeepAt(src, MAX_JSON_DEPTH) !== undefined) return true;
  const errors: ParseError[] = [];
  const json: unknown = parse(patchRawControlChars(src).text, errors, JSONC_OPTIONS);
  if (errors.length > 0) return true;
  if (typeof json !== "object" || json === null || Array.isArray(json)) return false;
  const o = json as Record<string, unknown>;
  const schema = o["$schema"];
  if (typeof schema === "string" && /deploymenttemplate/i.test(schema)) return true;
  return Object.hasOwn(o, "resources") && Object.hasOwn(o, "contentVersion");
}

function describeError(code: string): string {
  const words = code.replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase();
  return words.startsWith("<") ? "syntax error" : words;
}

/** Converts the jsonc-parser tree into expressions, marking nodes the syntax errors touch. */
class JsonConverter {
  readonly tainted = new Set<Expr>();
  private readonly errorOffsets: number[];
  private readonly contentEnd: number;

  private readonly patched: number[];
  private readonly patchedText: string;

  constructor(
    private readonly src: string,
    tolerant: { text: string; patched: number[] },
    private readonly lines: LineIndex,
    errors: ParseError[],
    private readonly budget: Budget,
  ) {
    this.errorOffsets = errors.map((e) => e.offset).sort((a, b) => a - b);
    this.contentEnd = src.trimEnd().length;
    this.patched = tolerant.patched;
    this.patchedText = tolerant.text;
  }

  /** A string's value with the raw control characters `patchRawControlChars` blanked put back. */
  private stringValue(node: JsonNode): string {
    const value = typeof node.value === "string" ? node.value : "";
    const start = node.offset;
    const end = node.offset + node.length;
    const first = firstAtOrAfter(this.patched, start);
    if (first >= this.patched.length || this.patched[first]! >= end) return value;
    let out = "";
    let at = first;
    for (let i = start; i < end; i++) {
      this.budget.tick();
      if (at < this.patched.length && this.patched[at] === i) {
        out += `\\u${this.src.charCodeAt(i).toString(16).padStart(4, "0")}`;
        at++;
      } else out += this.patchedText[i];
    }
    try {
      const decoded: unknown = JSON.parse(out);
      return typeof decoded === "string" ? decoded : value;
    } catch {
      return value;
    }
  }

  convert(node: JsonNode): Expr {
    this.budget.tick();
    const line = this.lines.lineAt(node.offset);
    const text = this.src.slice(node.offset, node.offset + node.length);
    let e: Expr;
    switch (node.type) {
      case "object": {
        const props: Prop[] = [];
        for (const p of node.children ?? []) {
          const [key, value] = p.children ?? [];
          if (!key || !value) continue;
          props.push({ key: String(key.value), value: this.convert(value), line: this.lines.lineAt(p.offset) });
        }
        e = { k: "object", props, spread: false, raw: text, line };
        break;
      }
      case "array":
        e = { k: "array", items: (node.children ?? []).map((c) => this.convert(c)), spread: false, raw: text, line };
        break;
      case "string": {
        const s = this.stringValue(node);
        if (isArmExpression(s)) e = parseArmExpression(s.slice(1, -1), text, line, this.budget);
        else e = { k: "str", value: s.startsWith("[[") ? s.slice(1) : s, raw: text, line };
        break;
      }
      case "number":
        e = { k: "num", value: typeof node.value === "number" ? node.value : Number.NaN, raw: text, line };
        break;
      case "boolean":
        e = { k: "bool", value: node.value === true, raw: text, line };
        break;
      case "null":
        e = { k: "null", raw: text, line };
        break;
      default:
        e = raw(text, line);
    }
    if (this.isTainted(node)) this.tainted.add(e);
    return e;
  }

  /** A syntax error inside the node, or an object/array that never closes (truncated text). */
  private isTainted(node: JsonNode): boolean {
    const start = node.offset;
    const end = node.offset + node.length;
    const lo = firstAtOrAfter(this.errorOffsets, start);
    if (lo < this.errorOffsets.length && this.errorOffsets[lo]! < end) return true;
    // In a file with errors, a value that runs to the end may be cut short (`12` of `123`).
    if (this.errorOffsets.length > 0 && end >= this.contentEnd) return true;
    if (node.type === "object" || node.type === "array") {
      const close = node.type === "object" ? "}" : "]";
      if (this.src[end - 1] !== close) return true;
      const last = node.children?.[node.children.length - 1];
      if (last && last.offset + last.length >= end) return true;
    }
    return false;
  }
}

/** The index of the first sorted offset at or after `start` (the length when none is). */
function firstAtOrAfter(sorted: number[], start: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < start) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

type Override = { expr: Expr | undefined; scope: Scope };

class ArmReader {
  constructor(
    private readonly ev: Evaluator,
    private readonly collector: FactCollector,
    private readonly diags: DiagnosticSink,
    private readonly tainted: Set<Expr>,
    private readonly budget: Budget,
  ) {}

  private clean(e: Expr | undefined): Expr | undefined {
    return e && !this.tainted.has(e) ? e : undefined;
  }

  template(tpl: ObjectExpr, scope: Scope, overrides: Map<string, Override> | undefined, conditions: string[]): void {
    const params = propOf(tpl, "parameters")?.value;
    if (params?.k === "object") {
      for (const p of params.props) {
        this.budget.tick();
        const override = overrides?.get(p.key.toLowerCase());
        const allowed = p.value.k === "object" ? this.clean(propOf(p.value, "allowedValues")?.value) : undefined;
        if (override) scope.defineParam(p.key, override.expr, override.scope, allowed);
        else {
          const def = p.value.k === "object" ? propOf(p.value, "defaultValue")?.value : undefined;
          scope.defineParam(p.key, this.clean(def), scope, allowed);
        }
      }
    }
    const vars = propOf(tpl, "variables")?.value;
    if (vars?.k === "object") {
      for (const v of vars.props) {
        this.budget.tick();
        if (v.key.toLowerCase() !== "copy") scope.defineVar(v.key, this.clean(v.value), scope);
      }
    }
    this.resources(propOf(tpl, "resources")?.value, undefined, scope, conditions);
  }

  private resources(list: Expr | undefined, parentType: string | undefined, scope: Scope, conditions: string[]): void {
    if (!list) return;
    if (list.k === "array") for (const item of list.items) this.resource(item, item.line, undefined, parentType, scope, conditions);
    else if (list.k === "object") for (const p of list.props) this.resource(p.value, p.line, p.key, parentType, scope, conditions);
    else this.diags.atLine(list.line, `resources ${clip(list.raw)} is neither an array nor an object; it is not read`);
  }

  private resource(res: Expr, line: number, symbol: string | undefined, parentType: string | undefined, scope: Scope, conditions: string[]): void {
    this.budget.tick();
    if (res.k !== "object") {
      this.diags.atLine(line, `a resource that is not a JSON object is not read: ${clip(res.raw)}`);
      return;
    }
    if (this.tainted.has(res)) {
      this.diags.atLine(line, "a resource whose JSON is malformed or incomplete is not read");
      return;
    }
    const typeValue = propOf(res, "type")?.value;
    if (typeValue?.k !== "str") {
      this.diags.atLine(line, `a resource whose type cannot be read is skipped${typeValue ? `: ${clip(typeValue.raw)}` : ""}`);
      return;
    }
    const type = qualify(typeValue.value, parentType);
    const conds = [...conditions];
    const condition = propOf(res, "condition");
    if (condition) {
      // Only a literal `true` is certain; a parameter's default may be overridden.
      if (!(condition.value.k === "bool" && condition.value.value)) conds.push(`is deployed only if ${clip(condition.value.raw)} (line ${condition.line}); its facts are read as if it is deployed`);
    }
    const copy = propOf(res, "copy");
    if (copy) conds.push(`is declared in a copy loop (line ${copy.line}); its facts are read once, and values that depend on copyIndex() are kept raw`);
    const existing = propOf(res, "existing")?.value;
    const node: ResourceNode = {
      type,
      line,
      body: res,
      existing: existing?.k === "bool" && existing.value,
      conditions: conds,
      scope,
    };
    if (symbol !== undefined) {
      node.symbol = symbol;
      scope.defineResource(symbol, node);
    }
    const name = propOf(res, "name")?.value;
    if (name) node.name = name;
    this.collector.resource(node);
    if (type.toLowerCase() === "microsoft.resources/deployments") this.deployment(res, scope, conds);
    this.resources(propOf(res, "resources")?.value, type, scope, conds);
  }

  /** An inline nested template: expressions in the outer scope by default, or its own (`inner`). */
  private deployment(res: ObjectExpr, scope: Scope, conditions: string[]): void {
    const props = propOf(res, "properties")?.value;
    if (props?.k !== "object") return;
    const tpl = propOf(props, "template")?.value;
    if (tpl?.k !== "object") return;
    const options = propOf(props, "expressionEvaluationOptions")?.value;
    const evalScope = options?.k === "object" ? propOf(options, "scope")?.value : undefined;
    if (evalScope?.k !== "str" || evalScope.value.toLowerCase() !== "inner") {
      this.template(tpl, scope, undefined, conditions);
      return;
    }
    const overrides = new Map<string, Override>();
    const passed = propOf(props, "parameters")?.value;
    if (passed?.k === "object") {
      for (const p of passed.props) {
        const value = p.value.k === "object" ? propOf(p.value, "value")?.value : undefined;
        // A Key Vault `reference` (or anything else) is an unknown value.
        overrides.set(p.key.toLowerCase(), { expr: this.clean(value), scope });
      }
    }
    this.template(tpl, new Scope(true), overrides, conditions);
  }
}
