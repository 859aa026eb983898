import { describe, expect, it } from "vitest";
import { parseBicep } from "../../src/repo/templates/bicep-parser.ts";
import { Evaluator, Scope, textOf, type Value } from "../../src/repo/templates/evaluate.ts";
import type { Expr } from "../../src/repo/templates/expr.ts";
import { readBicep, type TemplateHost } from "../../src/repo/templates/index.ts";
import { Budget, DiagnosticSink, LineIndex } from "../../src/repo/templates/support.ts";
import { diagLines } from "./helpers.ts";

const OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";
const READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7";

/** Parses a file; returns its variables' expressions and the parse problems. */
function parse(src: string): { vars: Map<string, Expr>; problems: string[]; scope: Scope; ev: Evaluator } {
  const lines = new LineIndex(src);
  const sink = new DiagnosticSink("x.bicep", lines);
  const budget = new Budget(1_000_000);
  const file = parseBicep(src, lines, sink, budget);
  const scope = new Scope(false);
  for (const p of file.params) scope.defineParam(p.name, p.default, scope);
  for (const v of file.vars) scope.defineVar(v.name, v.expr, scope);
  return { vars: new Map(file.vars.map((v) => [v.name, v.expr])), problems: diagLines(sink.finish()), scope, ev: new Evaluator(budget) };
}

/** An expression as a prefix tree: `(op left right)`, `(? test then otherwise)`. */
function tree(e: Expr): string {
  switch (e.k) {
    case "binary":
      return `(${e.op} ${tree(e.left)} ${tree(e.right)})`;
    case "unary":
      return `(${e.op} ${tree(e.operand)})`;
    case "cond":
      return `(? ${tree(e.test)} ${tree(e.then)} ${tree(e.otherwise)})`;
    case "member":
      return `${tree(e.object)}${e.safe ? ".?" : "."}${e.name}`;
    case "index":
      return `${tree(e.object)}[${e.safe ? "?" : ""}${tree(e.index)}]`;
    case "call":
      return `${e.name}(${e.args.map(tree).join(", ")})`;
    case "ident":
      return e.name;
    default:
      return e.raw;
  }
}

function parsed(expr: string): string {
  const { vars, problems } = parse(`var x = ${expr}\n`);
  expect(problems).toEqual([]);
  return tree(vars.get("x")!);
}

describe("Bicep operators: parsing with Bicep's precedence", () => {
  it.each([
    ["a ?? b || c && d == e < f + g * -h", "(?? a (|| b (&& c (== d (< e (+ f (* g (- h))))))))"],
    ["a * b + c * d", "(+ (* a b) (* c d))"],
    ["a - b - c", "(- (- a b) c)"],
    ["a / b % c", "(% (/ a b) c)"],
    ["a != b =~ c !~ d", "(!~ (=~ (!= a b) c) d)"],
    ["a <= b >= c > d", "(> (>= (<= a b) c) d)"],
    ["a || b || c", "(|| (|| a b) c)"],
    ["a ?? b ?? c", "(?? (?? a b) c)"],
    ["a ? b : c ? d : e", "(? a b (? c d e))"],
    ["a ?? b ? c : d", "(? (?? a b) c d)"],
    ["!a && !!b", "(&& (! a) (! (! b)))"],
    ["-(a + b) * c", "(* (- (+ a b)) c)"],
    ["m[?k].?x ?? y", "(?? m[?k].?x y)"],
    ["x!.y", "x.y"],
    ["(builtInRoleNames[?roleDefinitionIdOrName] ?? roleDefinitionIdOrName)", "(?? builtInRoleNames[?roleDefinitionIdOrName] roleDefinitionIdOrName)"],
    ["contains(m, x) ? m[x] : x", "(? contains(m, x) m[x] x)"],
  ])("%s", (expr, expected) => {
    expect(parsed(expr)).toBe(expected);
  });

  it("reads a conditional over several lines, and a binary operator that continues a line", () => {
    expect(parsed("!empty(c)\n  ? c\n  : null")).toBe("(? (! empty(c)) c null)");
    expect(parsed("a &&\n  b")).toBe("(&& a b)");
  });

  it("does not continue an array item with a `-` on the next line", () => {
    const { vars, problems } = parse("var x = [\n  1\n  -2\n]\n");
    expect(problems).toEqual([]);
    const x = vars.get("x")!;
    expect(x.k === "array" ? x.items.map(tree) : x.k).toEqual(["1", "(- 2)"]);
  });
});

/** The value of variable `x` in `src`. */
function value(src: string): Value {
  const { vars, problems, scope, ev } = parse(src.includes("var x") ? src : `var x = ${src}\n`);
  expect(problems).toEqual([]);
  return ev.eval(vars.get("x")!, scope);
}

/** A compact rendering: `str:a`, `num:1`, `bool:true`, `null`, `deploy-time:<by>[alts…]`, `unknown`. */
function show(v: Value): string {
  if (v.t === "null") return "null";
  if (v.t === "unknown") return v.dt ? `deploy-time:${v.dt.by}${v.dt.alts ? `[${v.dt.alts.map(show).join(",")}]` : ""}` : "unknown";
  const t = textOf(v);
  return t ? `${v.t}:${t.s}${t.complete ? "" : "…"}` : v.t;
}

describe("Bicep operators: evaluation", () => {
  it.each([
    ["1 + 2 * 3", "num:7"],
    ["(1 + 2) * 3", "num:9"],
    ["7 / 2", "num:3"],
    ["-7 % 3", "num:-1"],
    ["10 - 4 - 3", "num:3"],
    ["1 / 0", "unknown"],
    ["-(2)", "num:-2"],
    ["'a' == 'a'", "bool:true"],
    ["'a' != 'a'", "bool:false"],
    ["'A' =~ 'a'", "bool:true"],
    ["'A' !~ 'a'", "bool:false"],
    ["'A' == 'a'", "bool:false"],
    ["1 == '1'", "bool:false"],
    ["null == null", "bool:true"],
    ["2 < 3", "bool:true"],
    ["3 <= 2", "bool:false"],
    ["'b' > 'a'", "bool:true"],
    ["2 >= 2", "bool:true"],
    ["true && false", "bool:false"],
    ["false || true", "bool:true"],
    ["!true", "bool:false"],
    ["!(1 < 2) || 2 > 1", "bool:true"],
    ["null ?? 'x'", "str:x"],
    ["'y' ?? 'x'", "str:y"],
    ["{ a: 1 }.?b", "null"],
    ["{ a: 1 }[?'b'] ?? 'd'", "str:d"],
    ["{ a: 1 }[?'a'] ?? 'd'", "num:1"],
    ["[1][?3] ?? 2", "num:2"],
    ["true ? 'a' : 'b'", "str:a"],
    ["1 > 2 ? 'a' : 'b'", "str:b"],
    ["contains({ Owner: 1 }, 'owner')", "bool:true"],
    ["contains(['a', 'b'], 'c')", "bool:false"],
    ["contains('abc', 'b')", "bool:true"],
    ["replace('''\n  x == #v#\n''', '#v#', 'y')", "str:  x == y\n"],
    ["any('z')", "str:z"],
  ])("%s is %s", (expr, expected) => {
    expect(show(value(expr))).toBe(expected);
  });

  it.each([
    ["p && false", "bool:false"],
    ["true || p", "bool:true"],
    ["p || false", "deploy-time:p"],
    ["!p", "deploy-time:p"],
    ["p == 'a'", "deploy-time:p"],
    ["p + 1", "deploy-time:p"],
    ["p ? 'a' : 'b'", "deploy-time:p[str:a,str:b]"],
    ["p ? 'a' : 'a'", "str:a"],
    ["p ?? 'x'", "deploy-time:p[deploy-time:p,str:x]"],
    ["!empty(p) ? p : null", "deploy-time:p[deploy-time:p,null]"],
    ["replace('x == #v#', '#v#', p)", "str:x == \u0000…"],
  ])("with a parameter p without a default, %s is %s", (expr, expected) => {
    expect(show(value(`param p string\nvar x = ${expr}\n`))).toBe(expected);
  });

  it("lists the values a deploy-time conditional can take, and each candidate of a map lookup", () => {
    const src = [
      "param p string",
      "var m = {",
      "  a: 'A'",
      "  b: 'B'",
      "}",
      "var x = contains(m, p) ? m[p] : p",
      "",
    ].join("\n");
    const { vars, scope, ev } = parse(src);
    expect(ev.possibleValues(vars.get("x")!, scope)?.map(show)).toEqual(["str:A", "str:B", "deploy-time:p"]);
  });

  it("names the condition when only an unreadable test decides between two known values", () => {
    expect(show(value("var x = unknownFunction() ? 'a' : 'b'\n"))).toBe("deploy-time:the condition `unknownFunction()`[str:a,str:b]");
  });

  it("is not understood when a branch is not", () => {
    expect(show(value("param p bool\nvar x = p ? unknownFunction() : 'b'\n"))).toBe("unknown");
  });
});

/** A host over files given inline. */
function memHost(files: Record<string, string>): TemplateHost {
  return { read: (path) => (files[path] === undefined ? undefined : { text: files[path] }) };
}

/** The registry's role-assignment module pattern (avm/res/authorization/role-assignment and others). */
const ROLE_MODULE = [
  "param roleDefinitionIdOrName string",
  "param principalId string",
  "param condition string = ''",
  "var builtInRoleNames = {",
  `  Owner: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '${OWNER}')`,
  `  Reader: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '${READER}')`,
  "}",
  "var roleDefinitionIdVar = (builtInRoleNames[?roleDefinitionIdOrName] ?? roleDefinitionIdOrName)",
  "resource roleAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {",
  "  name: guid(roleDefinitionIdVar, principalId)",
  "  properties: {",
  "    roleDefinitionId: roleDefinitionIdVar",
  "    principalId: principalId",
  "    condition: !empty(condition) ? condition : null",
  "  }",
  "}",
  "",
].join("\n");

const caller = (params: string, condition = ""): string =>
  ["module ra 'mod/ra.bicep' = " + (condition ? `if (${condition}) ` : "") + "{", "  name: 'ra'", "  params: {", params, "  }", "}", ""].join("\n");

describe("Bicep operators: role assignments", () => {
  it("reads the role a module call names through `builtInRoleNames[?name] ?? name`", () => {
    const r = readBicep(caller("    roleDefinitionIdOrName: 'Owner'\n    principalId: 'p'"), "main.bicep", memHost({ "mod/ra.bicep": ROLE_MODULE }));
    expect(r.facts.roleAssignments.map((f) => [f.line, f.roleDefinitionGuid, f.roleDecidedBy, f.hasCondition])).toEqual([[1, OWNER, undefined, false]]);
    expect(r.diagnostics).toEqual([]);
  });

  it("reads a full role definition ID passed through the same pattern", () => {
    const id = `/providers/Microsoft.Authorization/roleDefinitions/${READER}`;
    const r = readBicep(caller(`    roleDefinitionIdOrName: '${id}'\n    principalId: 'p'`), "main.bicep", memHost({ "mod/ra.bicep": ROLE_MODULE }));
    expect(r.facts.roleAssignments.map((f) => f.roleDefinitionGuid)).toEqual([READER]);
    expect(r.diagnostics).toEqual([]);
  });

  it("unbound, gives one fact per role of the map and one undecided fact, all decided by the parameter; notes only", () => {
    const r = readBicep(ROLE_MODULE, "mod/ra.bicep");
    expect(r.facts.roleAssignments.map((f) => [f.roleDefinitionGuid, f.roleDecidedBy])).toEqual([
      [OWNER, "roleDefinitionIdOrName"],
      [READER, "roleDefinitionIdOrName"],
      [undefined, "roleDefinitionIdOrName"],
    ]);
    expect(diagLines(r.diagnostics)).toEqual([
      "9: resource 'roleAssignment' (Microsoft.Authorization/roleAssignments): its role definition roleDefinitionIdVar is decided at deploy time by roleDefinitionIdOrName; each of the 2 roles it can name is read, and one fact stands for any other role it may name",
    ]);
    expect(r.diagnostics.every((d) => d.note && d.kind === "deploy-time-value")).toBe(true);
  });

  it("reads `contains(map, x) ? map[x] : x` the same way", () => {
    const text = ROLE_MODULE.replace(
      "(builtInRoleNames[?roleDefinitionIdOrName] ?? roleDefinitionIdOrName)",
      "contains(builtInRoleNames, roleDefinitionIdOrName) ? builtInRoleNames[roleDefinitionIdOrName] : roleDefinitionIdOrName",
    );
    const r = readBicep(text, "mod/ra.bicep");
    expect(r.facts.roleAssignments.map((f) => [f.roleDefinitionGuid, f.roleDecidedBy])).toEqual([
      [OWNER, "roleDefinitionIdOrName"],
      [READER, "roleDefinitionIdOrName"],
      [undefined, "roleDefinitionIdOrName"],
    ]);
    expect(r.diagnostics.filter((d) => !d.note)).toEqual([]);
    const bound = readBicep(caller("    roleDefinitionIdOrName: 'Reader'\n    principalId: 'p'"), "main.bicep", memHost({ "mod/ra.bicep": text }));
    expect(bound.facts.roleAssignments.map((f) => [f.roleDefinitionGuid, f.roleDecidedBy])).toEqual([[READER, undefined]]);
  });

  it("gives one undecided fact when a conditional has more than 16 candidates", () => {
    const keys = Array.from({ length: 17 }, (_, i) => `  r${i}: '/providers/Microsoft.Authorization/roleDefinitions/${OWNER.slice(0, -2)}${String(i).padStart(2, "0")}'`);
    const text = ROLE_MODULE.replace(/var builtInRoleNames = \{[^}]*\}/, `var builtInRoleNames = {\n${keys.join("\n")}\n}`);
    const r = readBicep(text, "mod/ra.bicep");
    expect(r.facts.roleAssignments.map((f) => [f.roleDefinitionGuid, f.roleDecidedBy])).toEqual([[undefined, "roleDefinitionIdOrName"]]);
    expect(r.diagnostics.filter((d) => !d.note)).toEqual([]);
  });

  it("reads a condition passed by the call, and none when the default '' is kept", () => {
    const host = memHost({ "mod/ra.bicep": ROLE_MODULE });
    const withCondition = readBicep(caller("    roleDefinitionIdOrName: 'Owner'\n    principalId: 'p'\n    condition: '@Resource[x] == 1'"), "main.bicep", host);
    expect(withCondition.facts.roleAssignments[0]!.hasCondition).toBe(true);
    expect(withCondition.diagnostics).toEqual([]);
  });

  it("notes a role name that names no role in a module call whose condition is false with the values read", () => {
    const r = readBicep(caller("    roleDefinitionIdOrName: 'Some Other Role'\n    principalId: 'p'", "!empty('')"), "main.bicep", memHost({ "mod/ra.bicep": ROLE_MODULE }));
    expect(r.diagnostics.filter((d) => !d.note)).toEqual([]);
    expect(r.diagnostics.some((d) => d.kind === "condition" && /names no role definition; module 'ra' \(main\.bicep:1\) is not deployed with the values read/.test(d.message))).toBe(true);
    // Deployed (no condition), the same value is a gap: the role cannot be read.
    const deployed = readBicep(caller("    roleDefinitionIdOrName: 'Some Other Role'\n    principalId: 'p'"), "main.bicep", memHost({ "mod/ra.bicep": ROLE_MODULE }));
    expect(deployed.diagnostics.filter((d) => !d.note).map((d) => d.message)).toEqual([
      "module 'ra' (mod/ra.bicep:9): resource 'roleAssignment' (Microsoft.Authorization/roleAssignments): cannot read a role definition GUID from roleDefinitionIdVar",
    ]);
  });
});

describe("Bicep operators: computed role assignment conditions", () => {
  const assignment = (condition: string, before = ""): ReturnType<typeof readBicep> =>
    readBicep(
      [
        before,
        "resource ra 'Microsoft.Authorization/roleAssignments@2022-04-01' = {",
        "  name: 'x'",
        "  properties: {",
        `    roleDefinitionId: '${READER}'`,
        "    principalId: 'p'",
        `    condition: ${condition}`,
        "  }",
        "}",
      ].join("\n"),
      "x.bicep",
    );
  const template = "replace(\n      '''\n      (@Resource[name] StringStartsWithIgnoreCase '#ws#')\n      ''',\n      '#ws#',\n      ws\n    )";

  it("folds replace() of a multi-line template with a known value", () => {
    const r = assignment(template, "param ws string = 'abc'");
    expect(r.facts.roleAssignments[0]!.hasCondition).toBe(true);
    expect(r.diagnostics).toEqual([]);
  });

  it("notes replace() with a deploy-time value, and reads it as conditional: the literal text is there whatever the value", () => {
    const r = assignment(template, "param ws string");
    expect(r.facts.roleAssignments[0]!.hasCondition).toBe(true);
    expect(r.diagnostics.map((d) => [d.note, d.kind])).toEqual([[true, "deploy-time-value"]]);
    expect(r.diagnostics[0]!.message).toMatch(/\(read as conditional: it is non-empty whatever the value\) is decided at deploy time by ws$/);
  });

  it("reads `!empty(c) ? c : null` with a known c, and notes it with a deploy-time c (read as unconditional)", () => {
    const empty = assignment("!empty(c) ? c : null", "param c string = ''");
    expect(empty.facts.roleAssignments[0]!.hasCondition).toBe(false);
    expect(empty.diagnostics).toEqual([]);
    const set = assignment("!empty(c) ? c : null", "param c string = '@Resource[x] == 1'");
    expect(set.facts.roleAssignments[0]!.hasCondition).toBe(true);
    expect(set.diagnostics).toEqual([]);
    const open = assignment("!empty(c) ? c : null", "param c string");
    expect(open.facts.roleAssignments[0]!.hasCondition).toBe(false);
    expect(open.diagnostics.map((d) => [d.note, d.kind])).toEqual([[true, "deploy-time-value"]]);
  });

  it("reads a conditional between two non-empty conditions as conditional", () => {
    const r = assignment("p ? '@Resource[a] == 1' : '@Resource[b] == 2'", "param p bool");
    expect(r.facts.roleAssignments[0]!.hasCondition).toBe(true);
    expect(r.diagnostics.every((d) => d.note)).toBe(true);
  });
});

describe("Bicep loops: notes name what the loop iterates", () => {
  it("names the parameter a loop (or a variable built by a loop) iterates, not the item", () => {
    const text = [
      "param roleAssignments array",
      "var formatted = [for (r, i) in (roleAssignments ?? []): r]",
      "resource ra 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for (roleAssignment, index) in (formatted ?? []): {",
      "  name: guid('x', index)",
      "  properties: {",
      "    roleDefinitionId: roleAssignment.roleDefinitionId",
      "    principalId: roleAssignment.principalId",
      "    condition: roleAssignment.?condition",
      "  }",
      "}]",
      "",
    ].join("\n");
    const r = readBicep(text, "x.bicep");
    expect(r.facts.roleAssignments.map((f) => f.roleDecidedBy)).toEqual(["roleAssignments"]);
    expect(r.diagnostics.filter((d) => !d.note)).toEqual([]);
    expect(r.diagnostics.filter((d) => d.kind === "deploy-time-value").map((d) => d.message)).toEqual([
      "resource 'ra' (Microsoft.Authorization/roleAssignments): its role definition roleAssignment.roleDefinitionId is decided at deploy time by roleAssignments",
      "resource 'ra' (Microsoft.Authorization/roleAssignments): its condition roleAssignment.?condition (read as unconditional) is decided at deploy time by roleAssignments",
    ]);
  });
});
