import { describe, expect, it } from "vitest";
import { mergeSorted } from "../src/collect/arm.ts";

const keyed = (keys: string[]) => keys.map((key) => ({ key, item: key }));

describe("mergeSorted", () => {
  it("joins lists whose ranges do not overlap, in key order", () => {
    expect(mergeSorted([keyed(["/s/b/1", "/s/b/2"]), keyed([]), keyed(["/p/x"]), keyed(["/s/a/1", "/s/a/9"])])).toEqual(["/p/x", "/s/a/1", "/s/a/9", "/s/b/1", "/s/b/2"]);
  });

  it("sorts everything when the ranges overlap", () => {
    expect(mergeSorted([keyed(["a", "c", "e"]), keyed(["b", "d"])])).toEqual(["a", "b", "c", "d", "e"]);
  });
});
