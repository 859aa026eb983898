import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { GENERATED_FILE, generateValidator } from "../scripts/make-inventory-validator.ts";
import { parseInventory } from "../src/inventory/load-inventory.ts";

describe("the inventory validator compiled ahead of time", () => {
  it("is current with the schema (run 'pnpm --filter @trustscope/core validator:build' after changing it)", () => {
    expect(readFileSync(GENERATED_FILE, "utf8")).toBe(generateValidator());
  });

  it("checks formats and the schema's rules like Ajv at run time did", () => {
    const base = { schemaVersion: 1, cloud: "AzureCloud", coverage: { complete: true, gaps: [] } };
    expect(parseInventory(JSON.stringify(base), "x.json").cloud).toBe("AzureCloud");
    expect(() => parseInventory(JSON.stringify({ ...base, collectedAt: "yesterday" }), "x.json")).toThrow(/collectedAt: must match format "date-time"/);
    expect(() => parseInventory(JSON.stringify({ ...base, surprise: 1 }), "x.json")).toThrow(/unknown key 'surprise'/);
  });
});
