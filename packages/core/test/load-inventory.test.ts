import { describe, expect, it } from "vitest";
import { InventoryBuilder } from "../src/testing/index.ts";
import { parseInventory } from "../src/inventory/load-inventory.ts";
import { UsageError } from "../src/util/errors.ts";

const good = () => JSON.stringify(new InventoryBuilder().build(), null, 2);

function errorOf(text: string): string {
  try {
    parseInventory(text, "snap.json");
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error("expected a UsageError");
}

describe("parseInventory", () => {
  it("accepts what the builder makes", () => {
    expect(parseInventory(good(), "snap.json").schemaVersion).toBe(1);
  });

  it("reports truncated JSON with the file, line and a hint", () => {
    const text = good();
    const msg = errorOf(text.slice(0, Math.floor(text.length / 2)));
    expect(msg).toMatch(/^snap\.json:\d+: not valid JSON \([a-z ]+, the file looks truncated\)$/);
    expect(msg.split("\n")).toHaveLength(1);
  });

  it("names the JSON path and line of a wrong type", () => {
    const inv = JSON.parse(good());
    inv.buildkite.organization.slug = 42;
    const text = JSON.stringify(inv, null, 2);
    const line = text.split("\n").findIndex((l) => l.includes('"slug": 42')) + 1;
    expect(errorOf(text)).toBe(`snap.json:${line}: not a valid trustscope snapshot: /buildkite/organization/slug: must be string (line ${line})`);
  });

  it("names an unknown key and its line", () => {
    const inv = JSON.parse(good());
    inv.azure.storageAccount = [];
    const text = JSON.stringify(inv, null, 2);
    const line = text.split("\n").findIndex((l) => l.includes('"storageAccount"')) + 1;
    expect(errorOf(text)).toContain(`/azure: unknown key 'storageAccount' (line ${line})`);
  });

  it("names a missing key", () => {
    const inv = JSON.parse(good());
    delete inv.coverage;
    expect(errorOf(JSON.stringify(inv))).toContain("/: missing 'coverage'");
  });

  it("reports several problems at once, up to three, and counts the rest", () => {
    const inv = JSON.parse(good());
    inv.cloud = "Mars";
    inv.tenantId = 1;
    inv.collectedAt = false;
    inv.extra1 = 1;
    inv.extra2 = 2;
    const msg = errorOf(JSON.stringify(inv));
    expect(msg).toMatch(/and \d+ more$/);
    expect(msg.split("\n")).toHaveLength(1);
  });

  it("rejects another schema version clearly", () => {
    expect(errorOf(JSON.stringify({ schemaVersion: 2 }))).toMatch(/schemaVersion 2 is not supported/);
  });

  it("rejects empty input and non-objects", () => {
    expect(errorOf("")).toMatch(/^snap\.json:1: not valid JSON/);
    expect(errorOf("[]")).toMatch(/not a valid trustscope snapshot: \/: must be object/);
  });
});
