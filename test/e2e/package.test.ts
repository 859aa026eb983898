/**
 * The packages as they are published: `pnpm pack` builds `@trustscope/core` and `@trustscope/rules`
 * (bundled ESM JavaScript in dist/, type declarations in dist/src/, per `publishConfig.exports`),
 * and a consumer outside the workspace imports them by name with plain Node (no tsx, no
 * TypeScript sources) and type-checks against their declarations under `strict`.
 */
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packPackages } from "../../scripts/pack-install.ts";
import { DEMO_SNAPSHOT, REPO_ROOT } from "../support/paths.ts";

const dir = mkdtempSync(join(tmpdir(), "trustscope-consumer-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(cmd: string, args: string[], cwd: string): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", timeout: 240_000, env: { ...process.env, NO_COLOR: "1" } });
  if (r.error) throw r.error;
  return r;
}

function ok(r: SpawnSyncReturns<string>, what: string): string {
  if (r.status !== 0) throw new Error(`${what} exited ${r.status}:\n${r.stderr}\n${r.stdout}`);
  return r.stdout;
}

/** A custom rule pack as a user would write it: plain JavaScript importing the package by name. */
const RULE_PACK = `import { pipelinesReaching, productionGrants, findingIdentity } from "@trustscope/core";
export default {
  meta: {
    id: "no-production-from-sandbox",
    title: "A sandbox pipeline can reach production",
    defaultSeverity: "critical",
    description: "Sandbox pipelines must never log in as an identity with a role on production.",
    tags: ["custom"],
    docs: "# no-production-from-sandbox\\n\\n## Failing example\\n\\n...\\n\\n## Passing example\\n\\n...\\n",
  },
  *check({ graph, environments }) {
    for (const identity of graph.identities) {
      if (productionGrants(identity, environments).length === 0) continue;
      for (const { pipeline } of pipelinesReaching(identity)) {
        if (!pipeline.slug.includes("sandbox")) continue;
        yield { message: "pipeline " + pipeline.slug + " can reach production", identity: findingIdentity(identity),
          pipeline: { uuid: pipeline.uuid, slug: pipeline.slug }, evidence: [], remediation: "Use a sandbox identity.", key: [pipeline.uuid, identity.appId] };
      }
    }
  },
};
`;

const CONSUMER = `import { readFileSync } from "node:fs";
import { parseInventory, parsePolicy, ruleSetFor, scan } from "@trustscope/core";
import { builtinRules, engineRules } from "@trustscope/rules";
const policy = parsePolicy(readFileSync("trustscope.yaml", "utf8"), "trustscope.yaml");
const rules = await ruleSetFor(policy, { cwd: process.cwd(), builtinRules });
const inventory = parseInventory(readFileSync(process.argv[2], "utf8"), "organisation.json");
const outcome = scan({ inventory, rules, policy, documentation: engineRules, toolVersion: "1.2.3" });
process.stdout.write(JSON.stringify({ json: JSON.parse(outcome.render("json")), sarif: JSON.parse(outcome.render("sarif")), exit: outcome.exitCode("high") }));
`;

const TYPED_CONSUMER = `import { buildTrustGraph, scan, type Finding, type Rule, type TrustGraph, type Inventory } from "@trustscope/core";
import { builtinRules } from "@trustscope/rules";
import { InventoryBuilder } from "@trustscope/core/testing";
export const rule: Rule = {
  meta: { id: "typed-rule", title: "t", defaultSeverity: "low", description: "d", tags: [], docs: "# typed-rule" },
  *check({ graph }) { for (const i of graph.identities) yield { message: i.displayName, evidence: [], remediation: "", key: [i.key] }; },
};
const inventory: Inventory = new InventoryBuilder().build();
const graph: TrustGraph = buildTrustGraph(inventory);
const findings: Finding[] = scan({ inventory, rules: [...builtinRules, rule] }).report.findings;
export const n: number = graph.identities.length + findings.length;
`;

/** Tarball paths, core's then rules'. */
let packed: string[] = [];

beforeAll(async () => {
  packed = await packPackages(join(dir, "tarballs"), ["@trustscope/core", "@trustscope/rules"]);
  for (const [tarball, name] of packed.map((t) => [t, basename(t).includes("rules") ? "rules" : "core"] as const)) {
    const target = join(dir, "node_modules/@trustscope", name);
    mkdirSync(join(dir, "extract", name), { recursive: true });
    ok(run("tar", ["xzf", tarball, "-C", join(dir, "extract", name)], dir), "tar");
    mkdirSync(join(dir, "node_modules/@trustscope"), { recursive: true });
    renameSync(join(dir, "extract", name, "package"), target);
  }
  // The consumer installs core's third-party dependencies; here they come from the workspace.
  symlinkSync(join(REPO_ROOT, "packages/core/node_modules"), join(dir, "node_modules/@trustscope/core/node_modules"));
  mkdirSync(join(dir, "policy-rules"));
  writeFileSync(join(dir, "policy-rules/sandbox.mjs"), RULE_PACK);
  writeFileSync(join(dir, "trustscope.yaml"), 'rules: ["./policy-rules/*.mjs"]\n');
  writeFileSync(join(dir, "consumer.mjs"), CONSUMER);
  writeFileSync(join(dir, "typed.ts"), TYPED_CONSUMER);
  writeFileSync(
    join(dir, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: { strict: true, module: "NodeNext", moduleResolution: "NodeNext", target: "ES2022", noEmit: true, skipLibCheck: true, types: ["node"], typeRoots: [join(REPO_ROOT, "node_modules/@types")] },
      files: ["typed.ts"],
    }),
  );
}, 300_000);

describe("the published packages", () => {
  it("are packed with bundled JavaScript and declarations, not TypeScript sources", () => {
    expect(packed.map((t) => basename(t))).toEqual([expect.stringMatching(/^trustscope-core-.*\.tgz$/), expect.stringMatching(/^trustscope-rules-.*\.tgz$/)]);
    for (const [tarball, name] of packed.map((t) => [t, basename(t).includes("rules") ? "rules" : "core"] as const)) {
      const list = ok(run("tar", ["tzf", tarball], dir), "tar").split("\n").filter(Boolean);
      expect(list, name).toContain("package/dist/index.js");
      expect(list, name).toContain("package/dist/src/index.d.ts");
      expect(list.filter((f) => f.startsWith("package/src/")), name).toEqual([]);
      expect(list.filter((f) => /\.[cm]?ts$/.test(f) && !/\.d\.[cm]?ts$/.test(f)), name).toEqual([]);
      // The build writes every chunk directly in dist/; JavaScript anywhere else is left over from an older build.
      expect(list.filter((f) => f.endsWith(".js") && !/^package\/dist\/[^/]+\.js$/.test(f)), name).toEqual([]);
      // Every file the published exports name is in the tarball (a missing chunk entry or declaration fails here).
      const manifest = JSON.parse(readFileSync(join(dir, "node_modules/@trustscope", name, "package.json"), "utf8")) as { exports: Record<string, string | Record<string, string>> };
      const targets = Object.values(manifest.exports).flatMap((t) => (typeof t === "string" ? [t] : Object.values(t)));
      expect(targets.length, name).toBeGreaterThan(0);
      for (const target of targets) expect(list, `${name}: ${target}`).toContain(`package/${target.replace(/^\.\//, "")}`);
    }
  });

  it("run under plain Node: a consumer scans the demo with its own JavaScript rule pack", () => {
    const out = JSON.parse(ok(run(process.execPath, ["consumer.mjs", DEMO_SNAPSHOT], dir), "node consumer.mjs")) as {
      json: { tool: { version: string }; findings: { ruleId: string; pipeline?: { slug: string } }[] };
      sarif: { runs: { tool: { driver: { rules: { id: string }[] } }; results: { ruleId: string }[] }[] };
      exit: number;
    };
    expect(out.json.tool.version).toBe("1.2.3");
    const custom = out.json.findings.filter((f) => f.ruleId === "no-production-from-sandbox");
    expect(custom.map((f) => f.pipeline?.slug)).toContain("dev-sandbox");
    expect(out.sarif.runs[0]!.tool.driver.rules.map((r) => r.id)).toContain("no-production-from-sandbox");
    expect(out.sarif.runs[0]!.results.filter((r) => r.ruleId === "no-production-from-sandbox")).toHaveLength(custom.length);
    expect(out.exit).toBe(1);
  });

  it("type-check a strict TypeScript consumer against the declarations", () => {
    const r = run(process.execPath, [join(REPO_ROOT, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.json"], dir);
    expect(r.stdout + r.stderr).toBe("");
    expect(r.status).toBe(0);
  });
});
