import { describe, expect, it } from "vitest";
import { InventoryBuilder } from "@trustscope/core/testing";
import { forkBuildsOnTrustedPipeline } from "../src/rules/fork-builds-on-trusted-pipeline.ts";
import { run } from "./support.ts";

const FORKS = { buildPullRequests: true, buildPullRequestForks: true };

function setup(settings: object, trust: "pipeline" | "cluster" | "queue" | "organization", sub = "Contoso-NonProd") {
  const b = new InventoryBuilder();
  b.cluster("ci", ["ci-agents"]);
  const p = b.pipeline("app-ci", { cluster: "ci", settings });
  const subject = { pipeline: p, cluster: b.cluster("ci"), queue: b.queueUuid("ci-agents"), organization: b.orgUuid }[trust];
  const app = b.app("deployer", { credentials: [{ subject }] });
  b.assign(app.principalId, "Contributor", b.subscription(sub));
  return b.build();
}

describe("fork-builds-on-trusted-pipeline", () => {
  for (const trust of ["pipeline", "cluster", "queue", "organization"] as const) {
    it(`fires when the pipeline builds fork PRs and a credential trusts its ${trust}`, () => {
      const [f, ...rest] = run(forkBuildsOnTrustedPipeline, setup(FORKS, trust));
      expect(rest).toHaveLength(0);
      expect(f).toMatchObject({ severity: "high", pipeline: { slug: "app-ci" }, identity: { displayName: "deployer" } });
      expect(f!.evidence[0]).toMatch(/buildPullRequestForks: true/);
    });
  }

  it("is critical when the identity can change production", () => {
    const [f] = run(forkBuildsOnTrustedPipeline, setup(FORKS, "pipeline", "Contoso-Prod"));
    expect(f?.severity).toBe("critical");
    expect(f?.scope).toMatch(/^\/subscriptions\//);
  });

  it("is quiet when pull-request builds are off, even with the fork switch on", () => {
    expect(run(forkBuildsOnTrustedPipeline, setup({ buildPullRequests: false, buildPullRequestForks: true }, "pipeline"))).toEqual([]);
  });

  it("is quiet when pull requests build but forks do not", () => {
    expect(run(forkBuildsOnTrustedPipeline, setup({ buildPullRequests: true, buildPullRequestForks: false }, "cluster"))).toEqual([]);
  });

  it("is quiet when no credential trusts the pipeline", () => {
    const b = new InventoryBuilder();
    b.pipeline("app-ci", { settings: FORKS });
    b.app("deployer", { credentials: [{ subject: b.pipeline("deploy") }] });
    expect(run(forkBuildsOnTrustedPipeline, b.build())).toEqual([]);
  });
});
