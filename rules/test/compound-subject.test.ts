import { describe, expect, it } from "vitest";
import { InventoryBuilder } from "@trustscope/core/testing";
import { compoundSubject } from "../src/rules/compound-subject.ts";
import { run } from "./support.ts";

function withSubject(subject: string) {
  const b = new InventoryBuilder({ org: "acme" });
  b.pipeline("deploy");
  b.app("deployer", { credentials: [{ subject }] });
  return b.build();
}

describe("compound-subject", () => {
  it("fires for a compound subject pinned to one commit, naming the pipeline", () => {
    const [f] = run(compoundSubject, withSubject("organization:acme:pipeline:deploy:ref:refs/heads/main:commit:9f3182061f1e:step:deploy"));
    expect(f?.message).toMatch(/single commit and step of pipeline 'deploy'/);
    expect(f?.pipeline?.slug).toBe("deploy");
  });

  it("fires for a wildcard, which Azure compares literally", () => {
    const [f] = run(compoundSubject, withSubject("organization:acme:pipeline:deploy:ref:refs/heads/main:commit:*:step:*"));
    expect(f?.message).toMatch(/never matches/);
  });

  it("fires even when the Buildkite side was not collected", () => {
    const inv = withSubject("organization:acme:pipeline:deploy:ref:refs/heads/main:commit:abc:step:x");
    delete inv.buildkite;
    expect(run(compoundSubject, inv)).toHaveLength(1);
  });

  it("says when a compound subject is truncated", () => {
    expect(run(compoundSubject, withSubject("organization:acme:pipeline:deploy"))[0]?.message).toMatch(/truncated compound subject/);
  });

  it("is quiet for a pipeline UUID subject", () => {
    const b = new InventoryBuilder();
    b.app("deployer", { credentials: [{ subject: b.pipeline("deploy") }] });
    expect(run(compoundSubject, b.build())).toEqual([]);
  });
});
