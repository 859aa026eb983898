import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { trustscope } from "../support/cli.ts";
import { expectUsageError } from "../support/expect-usage-error.ts";
import { DEMO_SNAPSHOT } from "../support/paths.ts";

interface DiffJson {
  schemaVersion: number;
  old: { collectedAt?: string };
  new: { collectedAt?: string };
  changes: { kind: string; risk: string; summary: string; details: string[] }[];
  summary: { increases: number; decreases: number };
}

interface Snap {
  collectedAt: string;
  buildkite: { organization: { uuid: string }; pipelines: { slug: string; repository: { settings: Record<string, unknown> } }[] };
  entra: { applications: { displayName: string; federatedIdentityCredentials: { name: string; subject: string }[] }[] };
  azure: {
    roleAssignments: Record<string, unknown>[];
    storageAccounts: { name: string; allowSharedKeyAccess?: boolean | null }[];
    roleDefinitions: { roleName: string; id: string }[];
  };
}

const OWNER_ASSIGNMENT = "/subscriptions/4d6e8f10-2a3b-4c5d-8e9f-444455556666/providers/Microsoft.Authorization/roleAssignments/d1ff0000-0000-4000-8000-000000000001";

/** Writes the demo snapshot and a modified copy with one change of each headline kind. */
function snapshots(): string {
  const dir = mkdtempSync(join(tmpdir(), "trustscope-diff-"));
  const text = readFileSync(DEMO_SNAPSHOT, "utf8");
  writeFileSync(join(dir, "old.json"), text);
  const inv = JSON.parse(text) as Snap;
  inv.collectedAt = "2026-11-08T06:00:00Z";
  const deployer = inv.entra.applications.find((a) => a.displayName === "app-platform-deployer")!;
  deployer.federatedIdentityCredentials.find((c) => c.name === "app-platform-prod")!.subject = inv.buildkite.organization.uuid;
  const lz = inv.buildkite.pipelines.find((p) => p.slug === "landing-zone-nonprod")!;
  lz.repository.settings.buildPullRequestForks = true;
  const owner = inv.azure.roleDefinitions.find((r) => r.roleName === "Owner")!;
  inv.azure.roleAssignments.push({
    id: OWNER_ASSIGNMENT,
    scope: "/subscriptions/4d6e8f10-2a3b-4c5d-8e9f-444455556666",
    roleDefinitionId: owner.id,
    principalId: "5b0e0006-0000-4000-8000-000000000006",
    principalType: "ServicePrincipal",
  });
  inv.azure.storageAccounts.find((s) => s.name === "stappplatformprod")!.allowSharedKeyAccess = true;
  writeFileSync(join(dir, "new.json"), JSON.stringify(inv, null, 2));
  return dir;
}

const oneLineError = expectUsageError;

describe("trustscope diff", () => {
  it("reports the trust changes between two snapshots as JSON, exit 1 when risk increased", () => {
    const dir = snapshots();
    const r = trustscope(["diff", "old.json", "new.json", "--format", "json"], { cwd: dir });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(1);
    const json = JSON.parse(r.stdout) as DiffJson;
    expect(json.schemaVersion).toBe(1);
    expect(json.old).toEqual({ collectedAt: "2026-11-01T06:00:00Z" });
    expect(json.new).toEqual({ collectedAt: "2026-11-08T06:00:00Z" });
    const kinds = json.changes.map((c) => c.kind);
    expect(kinds).toEqual(["subject-widened", "privileged-assignment-added", "fork-builds-enabled", "shared-key-enabled"]);
    expect(json.changes.every((c) => c.risk === "increase")).toBe(true);
    expect(json.summary).toEqual({ increases: 4, decreases: 0 });
    const widened = json.changes[0]!;
    expect(widened.summary).toMatch(/'app-platform-prod' of app registration 'app-platform-deployer'.*pipeline to an organisation subject \(1 → 7 pipelines\)/);
    expect(json.changes[1]!.summary).toMatch(/'Owner' for app registration 'metrics-exporter'/);
    expect(json.changes[1]!.details).toContain(`assignment: ${OWNER_ASSIGNMENT}`);
    expect(json.changes[2]!.summary).toMatch(/'landing-zone-nonprod' builds pull requests from forks/);
    expect(json.changes[3]!.summary).toMatch(/'stappplatformprod' now allows shared-key access/);
  });

  it("renders a table by default and Markdown on request, to a file with -o", () => {
    const dir = snapshots();
    const table = trustscope(["diff", "old.json", "new.json"], { cwd: dir });
    expect(table.code).toBe(1);
    expect(table.stdout).toMatch(/^INCREASE +subject-widened$/m);
    expect(table.stdout).toMatch(/^4 trust change\(s\): 4 increase risk, 0 decrease risk\.$/m);
    expect(table.stdout).not.toContain("\u001b[");

    const md = trustscope(["diff", "old.json", "new.json", "--format", "markdown", "-o", "diff.md"], { cwd: dir });
    expect(md.code).toBe(1);
    expect(md.stdout).toBe("");
    const text = readFileSync(join(dir, "diff.md"), "utf8");
    expect(text).toMatch(/^## trustscope diff$/m);
    expect(text).toMatch(/^### 🟥 Risk increases \(4\)$/m);
    expect(text).toMatch(/^- \*\*`fork-builds-enabled`\*\* Pipeline 'landing-zone-nonprod'/m);
  });

  it("reverses the direction: the same changes decrease risk, exit 0", () => {
    const dir = snapshots();
    const r = trustscope(["diff", "new.json", "old.json", "--format", "json"], { cwd: dir });
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout) as DiffJson;
    expect(json.changes.map((c) => c.kind)).toEqual(["subject-narrowed", "privileged-assignment-removed", "fork-builds-disabled", "shared-key-disabled"]);
    expect(json.summary).toEqual({ increases: 0, decreases: 4 });
  });

  it("finds nothing between a snapshot and itself, exit 0", () => {
    const dir = snapshots();
    const r = trustscope(["diff", "old.json", "old.json"], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^No trust changes\.$/m);
  });

  it("documents the exit codes in its help", () => {
    const r = trustscope(["diff", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Usage: trustscope diff OLD NEW/);
    expect(r.stdout).toMatch(/1 at least one change increases risk/);
    expect(trustscope(["--help"]).stdout).toMatch(/^ {2}diff +/m);
  });

  it("rejects malformed input and bad usage with exit 2 and one line", () => {
    const dir = snapshots();
    writeFileSync(join(dir, "bad.json"), readFileSync(join(dir, "new.json"), "utf8").slice(0, 3000));
    oneLineError(trustscope(["diff", "old.json", "bad.json"], { cwd: dir }), /^trustscope: bad.json:\d+: not valid JSON/);
    writeFileSync(join(dir, "wrong.json"), JSON.stringify({ schemaVersion: 1, cloud: "AzureCloud", coverage: { complete: true, gaps: [] }, bogus: 1 }));
    oneLineError(trustscope(["diff", "wrong.json", "old.json"], { cwd: dir }), /^trustscope: wrong.json/);
    oneLineError(trustscope(["diff", "old.json", "missing.json"], { cwd: dir }), /missing.json: cannot read the snapshot: no such file/);
    oneLineError(trustscope(["diff", "old.json"], { cwd: dir }), /give two snapshot files/);
    oneLineError(trustscope(["diff", "old.json", "new.json", "--format", "sarif"], { cwd: dir }), /--format must be one of table, json, markdown/);
  });
});
