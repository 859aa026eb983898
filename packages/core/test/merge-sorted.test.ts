import { describe, expect, it } from "vitest";
import { mergeSorted, sortedRun } from "../src/collect/arm.ts";

const run = (ids: string[]) => sortedRun(ids.map((id) => ({ id })));
const ids = (items: { id: string }[]) => items.map((x) => x.id);

describe("sortedRun", () => {
  it("orders by ID ignoring case, and keeps the keys of its ends", () => {
    const r = run(["/s/B/2", "/s/a/1", "/s/b/1"]);
    expect(ids(r.items)).toEqual(["/s/a/1", "/s/b/1", "/s/B/2"]);
    expect([r.first, r.last]).toEqual(["/s/a/1", "/s/b/2"]);
  });
});

describe("mergeSorted", () => {
  it("joins runs whose ranges do not overlap, in key order", () => {
    expect(ids(mergeSorted([run(["/s/b/1", "/s/b/2"]), run([]), run(["/p/x"]), run(["/s/a/1", "/s/a/9"])]))).toEqual(["/p/x", "/s/a/1", "/s/a/9", "/s/b/1", "/s/b/2"]);
  });

  it("sorts everything when runs share an end key, IDs that differ only in case included", () => {
    expect(ids(mergeSorted([run(["/s/a/1", "/s/A/2"]), run(["/s/a/2", "/s/a/3"])]))).toEqual(["/s/a/1", "/s/A/2", "/s/a/2", "/s/a/3"]);
  });

  it("sorts everything when the ranges overlap", () => {
    expect(ids(mergeSorted([run(["a", "c", "E"]), run(["b", "d"])]))).toEqual(["a", "b", "c", "d", "E"]);
  });
});
