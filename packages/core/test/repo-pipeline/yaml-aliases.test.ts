/**
 * Anchors, aliases and merge keys in pipeline YAML: what they stand for is read like text written
 * out (a merged `command` is not hidden), and what they could be abused for (cycles, bombs) is a
 * located gap, not a hang.
 */
import { describe, expect, it } from "vitest";
import { readPipeline } from "../../src/repo/pipeline/read-pipeline.ts";
import { parseDocument } from "yaml";
import { MAX_EXPANDED_NODES, resolveAliases } from "../../src/repo/pipeline/yaml-aliases.ts";

describe("aliases and merge keys", () => {
  it("a step merged from an anchor carries the anchor's command and env, explicit keys winning", () => {
    const text = [
      "definitions:",
      "  deploy: &deploy",
      "    label: from-anchor",
      "    command: az login --service-principal -u app -p \"$$SECRET\" --tenant t",
      "    env: &env",
      "      TARGET: prod",
      "steps:",
      "  - <<: *deploy",
      "    label: explicit",
      "  - label: list-merge",
      "    command: echo hi",
      "    env:",
      "      <<: [*env, { TARGET: ignored, REGION: west }]",
      "",
    ].join("\n");
    const { pipeline, diagnostics } = readPipeline(text, "p.yml");
    expect(diagnostics).toEqual([]);
    const [merged, listMerge] = pipeline!.steps;
    expect(merged).toMatchObject({ label: "explicit" });
    // Read at the line where the step uses the anchor, with the anchor's own line kept for evidence.
    expect(merged!.commands.map((c) => [c.text, c.line, c.fromAnchor])).toEqual([['az login --service-principal -u app -p "$$SECRET" --tenant t', 8, 4]]);
    expect(merged!.env.map((e) => [e.name, e.value, e.line, e.fromAnchor])).toEqual([["TARGET", "prod", 8, 6]]);
    expect(merged!.fromAnchor).toBeUndefined();
    // The first mapping to give a key wins, as YAML's merge key says.
    expect(listMerge!.env.map((e) => [e.name, e.value])).toEqual([["TARGET", "prod"], ["REGION", "west"]]);
  });

  it("plain aliases for a command, a step and an env value are followed", () => {
    const text = ["x:", "  cmd: &cmd echo from-alias", "  step: &step { command: echo whole-step }", "steps:", "  - command: *cmd", "  - *step", ""].join("\n");
    const { pipeline, diagnostics } = readPipeline(text, "p.yml");
    expect(diagnostics).toEqual([]);
    expect(pipeline!.steps.flatMap((s) => s.commands.map((c) => [c.text, c.line, c.fromAnchor]))).toEqual([["echo from-alias", 5, 2], ["echo whole-step", 6, 3]]);
    expect(pipeline!.steps.map((s) => [s.line, s.fromAnchor])).toEqual([[5, undefined], [6, 3]]);
  });

  it("one anchor used by two steps is read at each use, and a block scalar copied keeps the use line", () => {
    const text = ["x:", "  login: &login |", "    az login --service-principal -u a -p x -t t", "steps:", "  - command: *login", "  - label: again", "    command: *login", ""].join("\n");
    const { pipeline, diagnostics } = readPipeline(text, "p.yml");
    expect(diagnostics).toEqual([]);
    expect(pipeline!.steps.map((s) => s.commands.map((c) => [c.line, c.fromAnchor]))).toEqual([[[5, 2]], [[7, 2]]]);
  });

  it("an alias to a collection inside itself is a cycle: one located gap", () => {
    const { pipeline, diagnostics } = readPipeline(["steps: &s", "  - command: echo", "  - group: g", "    steps: *s", ""].join("\n"), "p.yml");
    expect(pipeline).toBeUndefined();
    expect(diagnostics).toEqual([{ file: "p.yml", line: 4, message: "an alias names a collection that holds it (a cycle); not read" }]);
  });

  it("an alias bomb is one located gap, read in linear time", () => {
    const lines = ["a0: &a0 [x, x]"];
    for (let i = 1; i <= 40; i++) lines.push(`a${i}: &a${i} [*a${i - 1}, *a${i - 1}]`);
    lines.push("steps:", "  - command: echo", "    env: { X: *a40 }", "");
    const { pipeline, diagnostics } = readPipeline(lines.join("\n"), "p.yml");
    expect(pipeline).toBeUndefined();
    expect(diagnostics).toEqual([{ file: "p.yml", line: expect.any(Number), message: `aliases make it stand for more than ${MAX_EXPANDED_NODES} YAML nodes; not read` }]);
  });

  it("a merge of something that is not a mapping is one located gap", () => {
    const { diagnostics } = readPipeline(["s: &s just-a-string", "steps:", "  - <<: *s", "    command: echo", ""].join("\n"), "p.yml");
    expect(diagnostics).toEqual([{ file: "p.yml", line: 3, message: "a merge key ('<<') must name a mapping or a list of mappings; not read" }]);
  });
});

describe("aliases: what a pull request could hide behind them", () => {
  it("a file under .buildkite/ that builds its steps from anchors is read as the pipeline it is", () => {
    const text = ["x-steps: &steps", "  - command: az login --service-principal -u a -p x -t t", "steps: *steps", ""].join("\n");
    const r = readPipeline(text, ".buildkite/deploy.yml", { candidate: true });
    expect(r.notPipeline).toBeUndefined();
    expect(r.pipeline!.steps.map((s) => s.commands.map((c) => c.line))).toEqual([[3]]);
    const merged = readPipeline(["base: &base", "  steps:", "    - command: make", "<<: *base", ""].join("\n"), ".buildkite/deploy.yml", { candidate: true });
    expect(merged.pipeline?.steps).toHaveLength(1);
  });

  it("an alias used as a key stands for the key it names", () => {
    const text = ["x: &c command", "steps:", "  - *c : az login --service-principal -u a -p x -t t", ""].join("\n");
    const { pipeline, diagnostics } = readPipeline(text, "p.yml");
    expect(diagnostics).toEqual([]);
    expect(pipeline!.steps[0]!.commands.map((c) => c.text)).toEqual(["az login --service-principal -u a -p x -t t"]);
  });

  it("only copies count against the limit: a big pipeline written out is not refused", () => {
    const text = ["steps:", ...Array.from({ length: 200 }, (_, i) => `  - command: echo ${i}`), ""].join("\n");
    const doc = parseDocument(text);
    expect(resolveAliases(doc, 50)).toEqual({ origins: expect.any(WeakMap) });
  });
});
