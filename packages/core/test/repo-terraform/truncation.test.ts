/**
 * A pull request can leave a Terraform file in any state: the fixture's files cut at many offsets
 * and joined must never throw, and every credential it still declares trusts a subject the whole
 * file declares (or a value it leaves unknown) — nothing is invented from a broken file.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import type { TemplateHost } from "../../src/repo/templates/index.ts";
import { readTerraform } from "../../src/repo/terraform/index.ts";
import { loadHclParser, type HclParser } from "../../src/repo/terraform/read-hcl.ts";

const ROOT = fileURLToPath(new URL("../../../../test/fixtures/repos/terraform/ci", import.meta.url));

function files(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const abs = join(d, name);
      if (statSync(abs).isDirectory()) walk(abs);
      else out[relative(ROOT, abs).split("\\").join("/")] = readFileSync(abs, "utf8");
    }
  };
  walk(dir);
  return out;
}

function hostOf(tree: Record<string, string>): TemplateHost {
  return { read: (path) => (Object.hasOwn(tree, path) ? { text: tree[path]! } : undefined), list: () => [] };
}

function subjects(tree: Record<string, string>, parser: HclParser): Set<string> {
  const read = readTerraform(Object.keys(tree), hostOf(tree), parser);
  const out = new Set<string>();
  for (const m of read.models) {
    for (const a of [...m.objects.applications, ...m.objects.managedIdentities]) for (const c of a.federatedIdentityCredentials) out.add(c.subject);
  }
  return out;
}

let parser: HclParser;
beforeAll(async () => {
  parser = await loadHclParser();
});

describe("Terraform files cut short", () => {
  it("never throw, and declare no subject the whole files do not", () => {
    const whole = files(ROOT);
    const known = subjects(whole, parser);
    expect(known.size).toBeGreaterThan(2);
    for (const file of ["azure.tf", "buildkite.tf", "modules/deployer/main.tf"]) {
      const text = whole[file]!;
      for (let cut = 0; cut < text.length; cut += 13) {
        const tree = { ...whole, [file]: text.slice(0, cut) };
        let got: Set<string> = new Set();
        expect(() => (got = subjects(tree, parser))).not.toThrow();
        for (const s of got) expect(known.has(s) || s.includes("${"), `${file} cut at ${cut}: subject ${s}`).toBe(true);
      }
    }
  });
});
