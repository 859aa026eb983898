import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseInventory } from "@trustscope/core";
import { demoInventory } from "../demo/build-demo.ts";

const file = new URL("../demo/organisation.json", import.meta.url);

describe("demo organisation", () => {
  it("organisation.json is what build-demo.ts makes (run `pnpm --filter @trustscope/cli demo:build`)", () => {
    expect(readFileSync(file, "utf8")).toBe(`${JSON.stringify(demoInventory, null, 2)}\n`);
  });

  it("is a valid snapshot", () => {
    expect(() => parseInventory(readFileSync(file, "utf8"), "organisation.json")).not.toThrow();
  });

  it("has the clusters and pipelines the design describes", () => {
    const bk = demoInventory.buildkite!;
    expect(bk.clusters.map((c) => [c.name, c.queues.map((q) => q.key)])).toEqual([
      ["Non-production", ["nonprod-agents"]],
      ["Production", ["prod-agents"]],
    ]);
    expect(bk.pipelines.map((p) => p.slug)).toEqual(["app-platform-nonprod", "app-platform-prod", "dev-sandbox", "experiment-1", "experiment-2", "landing-zone-nonprod", "landing-zone-prod"]);
  });
});
