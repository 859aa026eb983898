import { describe, expect, it } from "vitest";
import { InventoryBuilder, uuidFor } from "@trustscope/core/testing";
import { unresolvedSubject } from "../src/rules/unresolved-subject.ts";
import { run } from "./support.ts";

function withSubject(subject: (b: InventoryBuilder) => string) {
  const b = new InventoryBuilder();
  b.cluster("ci", ["ci-agents"]);
  b.pipeline("deploy", { cluster: "ci" });
  b.agent("agent-1", "ci-agents");
  b.app("deployer", { credentials: [{ name: "c", subject: subject(b) }] });
  return b;
}

describe("unresolved-subject", () => {
  it("fires for a UUID that names nothing (a deleted pipeline)", () => {
    const [f] = run(unresolvedSubject, withSubject(() => uuidFor("gone")).build());
    expect(f).toMatchObject({ severity: "low", credential: { name: "c" } });
    expect(f!.evidence[0]).toMatch(/build or job UUID/);
  });

  it("fires for a subject that is neither a UUID nor the compound form", () => {
    expect(run(unresolvedSubject, withSubject(() => "deploy").build())[0]?.evidence[0]).toMatch(/neither a UUID/);
  });

  it("fires at medium when the subject matches only ignoring case", () => {
    const [f] = run(unresolvedSubject, withSubject(() => uuidFor("pipeline:deploy").toUpperCase()).build());
    expect(f?.severity).toBe("medium");
    expect(f?.message).toMatch(/only when case is ignored/);
  });

  it("says so when the subject has stray whitespace", () => {
    const [f] = run(unresolvedSubject, withSubject(() => ` ${uuidFor("pipeline:deploy")}`).build());
    expect(f?.evidence[0]).toMatch(/leading or trailing whitespace/);
  });

  for (const [kind, subject] of [
    ["pipeline", () => uuidFor("pipeline:deploy")],
    ["cluster", (b: InventoryBuilder) => b.cluster("ci")],
    ["queue", (b: InventoryBuilder) => b.queueUuid("ci-agents")],
    ["organisation", (b: InventoryBuilder) => b.orgUuid],
    ["agent", () => uuidFor("agent:agent-1")],
  ] as const) {
    it(`is quiet for a ${kind} UUID`, () => {
      expect(run(unresolvedSubject, withSubject(subject).build())).toEqual([]);
    });
  }

  it("is quiet for a credential that matches by expression (wildcard-claims-expression reports it)", () => {
    const b = withSubject(() => uuidFor("gone"));
    b.raw.entra!.applications[0]!.federatedIdentityCredentials = [{ name: "flex", issuer: "https://agent.buildkite.com", subject: "", claimsMatchingExpression: { value: "claims['sub'] matches '*'", languageVersion: 1 }, audiences: ["api://AzureADTokenExchange"] }];
    expect(run(unresolvedSubject, b.build())).toEqual([]);
  });

  it("says an empty subject may be an expression that could not be read", () => {
    expect(run(unresolvedSubject, withSubject(() => "").build())[0]?.evidence[0]).toMatch(/the subject is empty: .*claimsMatchingExpression/);
  });

  it("is quiet when the Buildkite side was not collected (it cannot know)", () => {
    const b = withSubject(() => uuidFor("gone"));
    delete b.raw.buildkite;
    expect(run(unresolvedSubject, b.build())).toEqual([]);
  });
});
