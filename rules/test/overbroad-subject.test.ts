import { describe, expect, it } from "vitest";
import { InventoryBuilder } from "@trustscope/core/testing";
import { overbroadSubject } from "../src/rules/overbroad-subject.ts";
import { run } from "./support.ts";

const USES_CLUSTER = "steps:\n  - command: buildkite-agent oidc request-token --audience api://AzureADTokenExchange --subject-claim cluster_id\n";
const UNRELATED = "steps:\n  - command: make test\n";
const UPLOAD = "steps:\n  - command: buildkite-agent pipeline upload\n";

function setup(stepsByPipeline: (string | null)[]) {
  const b = new InventoryBuilder();
  stepsByPipeline.forEach((steps, i) => b.pipeline(`p${i}`, { cluster: "ci", stepsYaml: steps }));
  b.app("deployer", { credentials: [{ name: "cluster", subject: b.cluster("ci") }] });
  return b.build();
}

describe("overbroad-subject", () => {
  it("fires when most pipelines the cluster subject reaches never use it", () => {
    const [f] = run(overbroadSubject, setup([USES_CLUSTER, UNRELATED, UNRELATED, UNRELATED]));
    expect(f?.message).toMatch(/reaching 4 pipelines, but only 1 use it/);
    expect(f?.evidence.join("\n")).toMatch(/never use it: p1, p2, p3/);
  });

  it("counts a pipeline that names the client ID as a user", () => {
    const b = new InventoryBuilder();
    const app = b.app("deployer", { credentials: [{ subject: b.cluster("ci") }] });
    for (const i of [0, 1]) b.pipeline(`user${i}`, { cluster: "ci", stepsYaml: `env:\n  AZURE_CLIENT_ID: ${app.appId}\n` });
    for (const i of [0, 1]) b.pipeline(`other${i}`, { cluster: "ci", stepsYaml: UNRELATED });
    expect(run(overbroadSubject, b.build())).toEqual([]); // 2 unused is not more than 2 users
  });

  it("does not count a pipeline that requests the claim but logs in as another identity", () => {
    const b = new InventoryBuilder();
    const other = b.app("other-deployer", { credentials: [{ subject: b.pipeline("elsewhere") }] });
    b.app("deployer", { credentials: [{ subject: b.cluster("ci") }] });
    const steps = `${USES_CLUSTER}    env: { AZURE_CLIENT_ID: "${other.appId}" }\n`;
    for (const i of [0, 1, 2]) b.pipeline(`p${i}`, { cluster: "ci", stepsYaml: steps });
    expect(run(overbroadSubject, b.build())[0]?.message).toMatch(/only 0 use it/);
  });

  it("suggests deleting a credential that no pipeline uses", () => {
    expect(run(overbroadSubject, setup([UNRELATED, UNRELATED]))[0]?.remediation).toMatch(/delete it/);
  });

  it("is quiet when the pipelines' use cannot be known (steps uploaded at build time or not stored)", () => {
    expect(run(overbroadSubject, setup([USES_CLUSTER, UPLOAD, UPLOAD, null, null]))).toEqual([]);
  });

  it("is quiet for a pipeline-scoped credential", () => {
    const b = new InventoryBuilder();
    b.pipeline("other", { stepsYaml: UNRELATED });
    b.app("deployer", { credentials: [{ subject: b.pipeline("deploy", { stepsYaml: UNRELATED }) }] });
    expect(run(overbroadSubject, b.build())).toEqual([]);
  });

  it("reaches the whole cluster from a queue subject", () => {
    const b = new InventoryBuilder();
    b.cluster("ci", ["a", "b"]);
    for (const i of [0, 1, 2]) b.pipeline(`p${i}`, { cluster: "ci", stepsYaml: UNRELATED });
    b.app("deployer", { credentials: [{ subject: b.queueUuid("a") }] });
    expect(run(overbroadSubject, b.build())[0]?.message).toMatch(/queue 'a' of cluster 'ci', reaching 3 pipelines/);
  });
});
