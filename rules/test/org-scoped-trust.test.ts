import { describe, expect, it } from "vitest";
import { InventoryBuilder } from "@trustscope/core/testing";
import { orgScopedTrust } from "../src/rules/org-scoped-trust.ts";
import { readFileSync } from "node:fs";
import { run, runRepo } from "./support.ts";

function setup(subject: (b: InventoryBuilder) => string, role = "Contributor", subName = "Contoso-Prod") {
  const b = new InventoryBuilder();
  b.pipeline("deploy", { cluster: "Production" });
  b.pipeline("docs", { cluster: "Non-production" });
  const app = b.app("tools", { credentials: [{ name: "org", subject: subject(b) }] });
  const sub = b.subscription(subName);
  b.assign(app.principalId, role, sub);
  return b.build();
}

describe("org-scoped-trust", () => {
  it("fires when the organisation UUID is trusted and the identity can change production", () => {
    const [f, ...rest] = run(orgScopedTrust, setup((b) => b.orgUuid));
    expect(rest).toHaveLength(0);
    expect(f).toMatchObject({ ruleId: "org-scoped-trust", severity: "critical", identity: { displayName: "tools", kind: "application" } });
    expect(f!.credential?.name).toBe("org");
    expect(f!.scope).toMatch(/^\/subscriptions\//);
    expect(f!.evidence.join("\n")).toMatch(/2 pipelines can mint a token for: deploy, docs/);
    expect(f!.evidence.join("\n")).toMatch(/subscription 'Contoso-Prod' has 'prod' in its name \(default heuristic\)/);
  });

  it("is high, not critical, when the production grant is read-only", () => {
    const [f] = run(orgScopedTrust, setup((b) => b.orgUuid, "Reader"));
    expect(f?.severity).toBe("high");
  });

  it("is quiet for a pipeline-scoped credential on production", () => {
    expect(run(orgScopedTrust, setup((b) => b.pipeline("deploy-2")))).toEqual([]);
  });

  it("is quiet for organisation trust that reaches only non-production", () => {
    expect(run(orgScopedTrust, setup((b) => b.orgUuid, "Contributor", "Contoso-NonProd"))).toEqual([]);
  });

  it("is quiet when the subject differs from the organisation UUID in case (it never matches)", () => {
    expect(run(orgScopedTrust, setup((b) => b.orgUuid.toUpperCase()))).toEqual([]);
  });

  it("fires when an assignment above production (a management group) reaches it", () => {
    const b = new InventoryBuilder();
    b.pipeline("deploy");
    const mg = b.managementGroup("platform");
    b.subscription("payments", { tags: { env: "prod" }, managementGroup: mg });
    const app = b.app("tools", { credentials: [{ subject: b.orgUuid }] });
    b.assign(app.principalId, "Contributor", mg);
    const [f] = run(orgScopedTrust, b.build());
    expect(f?.evidence.join("\n")).toMatch(/contains production scope .*tag env=prod/);
  });
});

describe("org-scoped-trust from the repository: the seed's az-login-oidc.sh", () => {
  // The widely copied script builds the flag in a variable and expands it unquoted.
  const SEED = readFileSync(new URL("../../packages/core/test/repo-shell/fixtures/az-login-oidc-subject-flag.sh", import.meta.url), "utf8");
  const pipeline = (claim: string) =>
    ["env:", `  BUILDKITE_OIDC_SUBJECT_CLAIM: ${claim}`, "steps:", "  - label: deploy", "    command: .buildkite/az-login-oidc.sh", ""].join("\n");

  it("fires at the request when the pipeline env sets organization_id, with that env line in evidence", () => {
    const [f, ...rest] = runRepo(orgScopedTrust, { ".buildkite/pipeline.yml": pipeline("organization_id"), ".buildkite/az-login-oidc.sh": SEED });
    expect(rest).toEqual([]);
    expect(f!.location).toEqual({ file: ".buildkite/az-login-oidc.sh", line: 8 });
    expect(f!.evidence.join("\n")).toContain("pipeline env at .buildkite/pipeline.yml:2");
  });

  it("a step that takes its env from an anchor is judged at its use, with the anchor's line in evidence", () => {
    const text = ["x-deploy: &deploy", "  env:", "    BUILDKITE_OIDC_SUBJECT_CLAIM: organization_id", "  command: .buildkite/az-login-oidc.sh", "steps:", "  - label: one", "    <<: *deploy", ""].join("\n");
    const [f, ...rest] = runRepo(orgScopedTrust, { ".buildkite/pipeline.yml": text, ".buildkite/az-login-oidc.sh": SEED });
    expect(rest).toEqual([]);
    expect(f!.location).toEqual({ file: ".buildkite/az-login-oidc.sh", line: 8 });
    expect(f!.evidence.join("\n")).toContain("step env at .buildkite/pipeline.yml:7 (from the anchor at line 3)");
  });

  it("is quiet when the pipeline asks for the pipeline's own subject, or sets nothing", () => {
    expect(runRepo(orgScopedTrust, { ".buildkite/pipeline.yml": pipeline("pipeline_id"), ".buildkite/az-login-oidc.sh": SEED })).toEqual([]);
    expect(runRepo(orgScopedTrust, { ".buildkite/pipeline.yml": "steps:\n  - command: .buildkite/az-login-oidc.sh\n", ".buildkite/az-login-oidc.sh": SEED })).toEqual([]);
  });
});
