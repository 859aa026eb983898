/**
 * Reads ARM JSON templates (deploymentTemplate schema, comments allowed): parameters with their
 * defaultValue, variables, resources as an array or (languageVersion 2.0) an object of symbolic
 * names, nested child `resources` with relative types, and `Microsoft.Resources/deployments`
 * with an inline `template` (outer or inner expression scope).
 */
import { parseTree, printParseErrorCode, type Node as JsonNode, type ParseError } from "jsonc-parser";
import type { Diagnostic, TemplateFacts } from "../../model/repo.ts";
import { MAX_JSON_DEPTH, tooDeepAt } from "../../util/json-guard.ts";
import { isArmExpression, parseArmExpression } from "./arm-expression.ts";
import { Evaluator, Scope, type ResourceNode } from "./evaluate.ts";
import type { Expr, ObjectExpr, Prop } from "./expr.ts";
import { propOf, raw } from "./expr.ts";
import { FactCollector, qualify } from "./facts.ts";
import type { Budget, DiagnosticSink, LineIndex } from "./support.ts";
import { clip, emptyFacts, runTemplateReader } from "./support.ts";

/** JSON syntax errors listed one by one before the rest are counted. */
const MAX_SYNTAX_ERRORS = 5;

export interface ReadResult {
  facts: TemplateFacts;
  diagnostics: Diagnostic[];
}

/** `readArmTemplate` plus the work it did (for tests that bound it). */
export function readArmTemplateWithStats(text: string, file: string): ReadResult & { steps: number } {
  return runTemplateReader(text, file, "template", (src, lines, diags, budget) => readJson(src, file, lines, diags, budget));
}

function readJson(text: string, file: string, lines: LineIndex, diags: DiagnosticSink, budget: Budget): TemplateFacts {
  // A byte-order mark is not JSON; a space in its place keeps every offset.
  const src = text.startsWith("\uFEFF") ? ` ${text.slice(1)}` : text;
  // jsonc-parser recurses per nesting level; refuse pathological depth before it does.
  const deep = tooDeepAt(src, MAX_JSON_DEPTH, () => budget.tick());
  if (deep !== undefined) {
    diags.atOffset(deep, `JSON nested deeper than ${MAX_JSON_DEPTH} levels; the file is not read`);
    return emptyFacts();
  }

  const errors: ParseError[] = [];
  const root = parseTree(src, errors, { allowTrailingComma: true, disallowComments: false, allowEmptyContent: false });
  budget.tick(src.length);
  errors.slice(0, MAX_SYNTAX_ERRORS).forEach((e) => diags.atOffset(e.offset, `malformed JSON: ${describeError(printParseErrorCode(e.error))}`));
  if (errors.length > MAX_SYNTAX_ERRORS) {
    diags.atOffset(errors[MAX_SYNTAX_ERRORS]!.offset, `malformed JSON: ${errors.length - MAX_SYNTAX_ERRORS} more syntax error(s)`);
  }
  if (!root || root.type !== "object") {
    if (errors.length === 0) diags.atOffset(root?.offset ?? 0, "not an ARM template: the JSON is not an object");
    return emptyFacts();
  }

  const converter = new JsonConverter(src, lines, errors, budget);
  const top = converter.convert(root);
  if (top.k !== "object") return emptyFacts();
  const ev = new Evaluator(budget);
  const collector = new FactCollector(ev, diags, file);
  new ArmReader(ev, collector, diags, converter.tainted, budget).template(top, new Scope(true), undefined, []);
  return collector.facts;
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

  constructor(
    private readonly src: string,
    private readonly lines: LineIndex,
    errors: ParseError[],
    private readonly budget: Budget,
  ) {
    this.errorOffsets = errors.map((e) => e.offset).sort((a, b) => a - b);
    this.contentEnd = src.trimEnd().length;
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
        const s = typeof node.value === "string" ? node.value : "";
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
    let lo = 0;
    let hi = this.errorOffsets.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.errorOffsets[mid]! < start) lo = mid + 1;
      else hi = mid;
    }
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
        if (override) scope.defineParam(p.key, override.expr, override.scope);
        else {
          const def = p.value.k === "object" ? propOf(p.value, "defaultValue")?.value : undefined;
          scope.defineParam(p.key, this.clean(def), scope);
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
