import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { UsageError, evaluate, loadRulePacks, parsePolicy, ruleSetFor, rulesOfModule, validateRule, type Rule } from "../src/index.ts";
import { InventoryBuilder } from "../src/testing/index.ts";

const root = mkdtempSync(join(tmpdir(), "trustscope-packs-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A rule module's source with overrides of its meta (JSON-encoded) and check body. */
function ruleSource(id: string, meta: Record<string, unknown> = {}, check = "return [];"): string {
  const m = { id, title: `Title of ${id}`, defaultSeverity: "medium", description: "What and why.", tags: ["custom"], docs: `# ${id}\n\nFailing and passing examples.`, ...meta };
  return `export default { meta: ${JSON.stringify(m)}, check(ctx) { ${check} } };\n`;
}

function write(rel: string, text: string): string {
  const file = join(root, rel);
  mkdirSync(join(file, ".."), { recursive: true });
  writeFileSync(file, text);
  return file;
}

const ref = (spec: string, line = 3) => ({ spec, location: { file: "trustscope.yaml", line } });

describe("validateRule / rulesOfModule", () => {
  const good: Rule = { meta: { id: "my-rule", title: "t", defaultSeverity: "low", description: "d", tags: [], docs: "# my-rule" }, check: () => [] };

  it("accepts the shapes a module may export", () => {
    expect(rulesOfModule({ default: good }, "m")).toEqual([good]);
    expect(rulesOfModule({ default: [good, { ...good, meta: { ...good.meta, id: "other" } }] }, "m")).toHaveLength(2);
    expect(rulesOfModule({ default: { rules: [good] } }, "m")).toEqual([good]);
    expect(rulesOfModule({ rules: [good] }, "m")).toEqual([good]);
  });

  it.each([
    [{}, /exports no rules/],
    [{ default: [] }, /empty list of rules/],
    [{ default: 42 }, /must be an object with 'meta' and 'check'/],
    [{ default: { meta: { ...good.meta, id: "My_Rule" }, check: good.check } }, /kebab-case/],
    [{ default: { meta: { ...good.meta, defaultSeverity: "severe" }, check: good.check } }, /defaultSeverity must be one of critical, high/],
    [{ default: { meta: { ...good.meta, docs: undefined }, check: good.check } }, /meta.docs must be the rule's documentation/],
    [{ default: { meta: good.meta, check: "nope" } }, /'check' must be a function/],
  ])("rejects a malformed module with a reason (%#)", (mod, reason) => {
    expect(() => rulesOfModule(mod, "pack.js")).toThrow(UsageError);
    expect(() => rulesOfModule(mod, "pack.js")).toThrow(reason);
  });

  it("names the rule and where it came from", () => {
    expect(() => validateRule({ meta: { ...good.meta, title: "" }, check: good.check }, "trustscope.yaml:4: rule pack './x.js'")).toThrow(
      "trustscope.yaml:4: rule pack './x.js': rule 'my-rule': meta.title must be a non-empty string",
    );
  });
});

describe("loadRulePacks", () => {
  write("policy/rules/a.mjs", ruleSource("alpha-rule"));
  write("policy/rules/nested/b.js", ruleSource("beta-rule"));
  write("policy/rules/readme.md", "not a module");
  write("policy/rules/a.test.mjs", "throw new Error('a test beside the rule, not a rule');\n");
  write("policy/rules/package.json", JSON.stringify({ type: "module" }));
  write("node_modules/@acme/trustscope-rules/package.json", JSON.stringify({ name: "@acme/trustscope-rules", type: "module", exports: { ".": { import: "./dist/index.js" } } }));
  write("node_modules/@acme/trustscope-rules/dist/index.js", ruleSource("acme-rule"));

  it("loads every module a glob matches (not tests beside them), relative to the base directory, in a stable order", async () => {
    const packs = await loadRulePacks([ref("./policy/rules/**/*.{js,mjs}")], { baseDir: root });
    expect(packs.flatMap((p) => p.rules.map((r) => r.meta.id))).toEqual(["alpha-rule", "beta-rule"]);
  });

  it("loads a package by name, resolved from the base directory upwards", async () => {
    const packs = await loadRulePacks([ref("@acme/trustscope-rules")], { baseDir: join(root, "policy") });
    expect(packs[0]?.rules[0]?.meta.id).toBe("acme-rule");
  });

  it("rejects a pattern that matches nothing, a missing file and a missing package, naming the policy line", async () => {
    await expect(loadRulePacks([ref("./policy/rules/*.cjs", 7)], { baseDir: root })).rejects.toThrow(/^trustscope\.yaml:7: rule pack pattern '\.\/policy\/rules\/\*\.cjs' matched no module file/);
    await expect(loadRulePacks([ref("./nope.js")], { baseDir: root })).rejects.toThrow(/^trustscope\.yaml:3: rule pack '\.\/nope\.js' not found/);
    await expect(loadRulePacks([ref("@acme/missing")], { baseDir: root })).rejects.toThrow(/neither a path .* nor an installed package/);
  });

  it("rejects a module that does not load, or exports a malformed rule", async () => {
    write("bad/syntax.mjs", "export default {{;\n");
    write("bad/shape.mjs", ruleSource("shape-rule", { defaultSeverity: "urgent" }));
    await expect(loadRulePacks([ref("./bad/syntax.mjs")], { baseDir: root })).rejects.toThrow(/^trustscope\.yaml:3: rule pack '\.\/bad\/syntax\.mjs': could not load bad\/syntax\.mjs: /);
    await expect(loadRulePacks([ref("./bad/shape.mjs")], { baseDir: root })).rejects.toThrow(/rule 'shape-rule': meta.defaultSeverity must be one of/);
  });

  it("rejects an id that clashes with a built-in rule or another pack", async () => {
    write("clash/one.mjs", ruleSource("dup-rule"));
    write("clash/two.mjs", ruleSource("dup-rule"));
    await expect(loadRulePacks([ref("./clash/*.mjs")], { baseDir: root })).rejects.toThrow(/rule id 'dup-rule' is already used by trustscope\.yaml:3: rule pack '\.\/clash\/\*\.mjs' \(clash\/one\.mjs\)/);
    await expect(loadRulePacks([ref("./policy/rules/a.mjs")], { baseDir: root, reservedIds: ["alpha-rule"] })).rejects.toThrow(/already used by a built-in rule/);
  });
});

describe("ruleSetFor", () => {
  it("adds the policy's packs to the built-in rules and checks the ids the policy names", async () => {
    write("ok/trustscope.yaml", "");
    const builtin: Rule[] = [];
    const policy = parsePolicy(`rules: ["../policy/rules/a.mjs"]\nruleSettings:\n  alpha-rule: { severity: critical }\n`, "ok/trustscope.yaml");
    const rules = await ruleSetFor(policy, { cwd: root, builtinRules: builtin });
    expect(rules.map((r) => r.meta.id)).toEqual(["alpha-rule"]);
    const unknown = parsePolicy(`rules: ["../policy/rules/a.mjs"]\nruleSettings:\n  alpah-rule: { enabled: false }\n`, "ok/trustscope.yaml");
    await expect(ruleSetFor(unknown, { cwd: root, builtinRules: builtin })).rejects.toThrow("ok/trustscope.yaml:3: ruleSettings names unknown rule 'alpah-rule'");
  });
});

describe("a custom rule that misbehaves at run time", () => {
  const inventory = new InventoryBuilder().build();
  const meta = { id: "bad-rule", title: "t", defaultSeverity: "low" as const, description: "d", tags: [] };

  it("makes the scan incomplete when it throws, and the other rules still run", () => {
    const ok: Rule = { meta: { ...meta, id: "ok-rule" }, check: () => [{ message: "m", evidence: [], remediation: "r", key: ["k"] }] };
    const throws: Rule = { meta, check: () => { throw new Error("boom\nstack"); } };
    const e = evaluate({ inventory, rules: [throws, ok] });
    expect(e.coverage.complete).toBe(false);
    expect(e.coverage.gaps).toContainEqual({ source: "rule", scope: "bad-rule", error: "rule 'bad-rule' failed: boom" });
    expect(e.findings.map((f) => f.ruleId)).toEqual(["ok-rule"]);
  });

  it("makes the scan incomplete when it returns a malformed result", () => {
    const malformed = { meta, check: () => [{ message: "m", evidence: "not a list", remediation: "r", key: ["k"] }] } as unknown as Rule;
    const e = evaluate({ inventory, rules: [malformed] });
    expect(e.coverage.gaps[0]?.error).toBe("rule 'bad-rule' returned an invalid result: 'evidence' must be a list of strings");
    expect(e.findings).toEqual([]);
  });
});
