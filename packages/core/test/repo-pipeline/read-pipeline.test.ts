import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { readPipeline } from "../../src/repo/pipeline/read-pipeline.ts";

const SHARED = resolve(process.env.TRUSTSCOPE_SHARED_DIR ?? resolve(import.meta.dirname, "../../../../../shared"));
const FIXTURE = readFileSync(resolve(import.meta.dirname, "../../../../test/fixtures/repos/oidc-migrated/.buildkite/pipeline.yml"), "utf8");

describe("readPipeline", () => {
  it("reads steps with their lines: commands, env, queue, if, block", () => {
    const { pipeline, diagnostics } = readPipeline(FIXTURE, "p.yml");
    expect(diagnostics).toEqual([]);
    const lines = FIXTURE.split("\n");
    const lineOf = (needle: string) => lines.findIndex((l) => l.includes(needle)) + 1;
    expect(pipeline!.env.map((e) => [e.name, e.value, e.line])).toContainEqual(["BUILDKITE_OIDC_SUBJECT_CLAIM", "cluster_id", lineOf("BUILDKITE_OIDC_SUBJECT_CLAIM")]);
    const [plan, block, apply] = pipeline!.steps;
    expect(plan).toMatchObject({ kind: "command", key: "plan", queue: "prod-agents", line: lineOf('label: ":terraform: plan"') });
    expect(plan!.commands.map((c) => [c.text, c.line])).toEqual([
      [".buildkite/az-login-oidc.sh", lineOf("- .buildkite/az-login-oidc.sh")],
      ["terraform plan -out tfplan", lineOf("terraform plan")],
    ]);
    expect(block).toMatchObject({ kind: "block", label: ":rocket: Apply?" });
    expect(apply).toMatchObject({ kind: "command", if: 'build.branch == "main"', dependsOn: ["approve"] });
    // A block scalar's text starts on the line after `command: |`.
    expect(apply!.commands[0]!.line).toBe(lineOf("command: |") + 1);
  });

  it("reads plugins, artifact paths, secrets, branches and agents lists", () => {
    const text = [
      "agents: [\"queue=default\"]",
      "steps:",
      "  - command: make",
      "    branches: \"main release/*\"",
      "    artifact_paths: \"a/*.log;b/**/*\"",
      "    secrets: [API_TOKEN]",
      "    plugins:",
      "      - docker#v5.0.0: { image: node }",
      "      - ./local-plugin",
      "  - group: g",
      "    steps:",
      "      - wait",
      "      - trigger: other",
    ].join("\n");
    const { pipeline, diagnostics } = readPipeline(text, "p.yml");
    expect(diagnostics).toEqual([]);
    const [cmd, group, wait, trigger] = pipeline!.steps;
    expect(cmd).toMatchObject({ queue: "default", branches: ["main", "release/*"] });
    expect(cmd!.artifactPaths.map((a) => a.path)).toEqual(["a/*.log", "b/**/*"]);
    expect(cmd!.secrets).toMatchObject([{ env: "API_TOKEN", secret: "API_TOKEN", line: 6 }]);
    expect(cmd!.plugins.map((p) => [p.name, p.line])).toEqual([["docker#v5.0.0", 8], ["./local-plugin", 9]]);
    expect(group).toMatchObject({ kind: "group", label: "g" });
    expect(wait).toMatchObject({ kind: "wait", group: "g" });
    expect(trigger).toMatchObject({ kind: "trigger", group: "g" });
  });

  it("reads Buildkite's example pipelines with no diagnostic", () => {
    const dir = join(SHARED, "corpus/buildkite-valid-pipelines");
    for (const f of readdirSync(dir)) expect(readPipeline(readFileSync(join(dir, f), "utf8"), f).diagnostics, f).toEqual([]);
  });

  it("reports malformed YAML and wrong shapes at their line", () => {
    expect(readPipeline("steps:\n  - command: [x\n", "p.yml").diagnostics[0]).toMatchObject({ file: "p.yml", message: expect.stringMatching(/^not valid YAML/) });
    // At the line the parser stopped on, not line 1.
    const late = "steps:\n  - label: a\n    command: echo hi\n  - label: b\n    command: [unclosed\n";
    expect(readPipeline(late, "p.yml").diagnostics[0]!.line).toBeGreaterThanOrEqual(5);
    expect(readPipeline("steps:\n  - 42\n", "p.yml").diagnostics).toEqual([{ file: "p.yml", line: 2, message: "unknown string step '42' (expected wait, block or input)" }]);
    expect(readPipeline("steps: {a: 1}\n", "p.yml").diagnostics).toEqual([{ file: "p.yml", line: 1, message: "steps must be a list" }]);
    expect(readPipeline("env: [1]\nsteps: []\n", "p.yml").diagnostics[0]).toMatchObject({ line: 1, message: "env must be a mapping of names to values" });
    expect(readPipeline("just text", "p.yml").diagnostics[0]?.message).toMatch(/must be a mapping with 'steps'/);
  });

  it("never throws on random or truncated input, and every diagnostic has a line in range", () => {
    const check = (text: string) => {
      const r = readPipeline(text, "p.yml");
      const max = text.split("\n").length + 1;
      for (const d of r.diagnostics) {
        expect(d.line).toBeGreaterThanOrEqual(1);
        expect(d.line).toBeLessThanOrEqual(max);
      }
    };
    for (let i = 0; i <= FIXTURE.length; i++) check(FIXTURE.slice(0, i));
    fc.assert(fc.property(fc.string({ maxLength: 400 }), check), { numRuns: 300 });
    const fragment = fc.constantFrom("steps:\n", "  - ", "command: ", "block: x\n", "env:\n", "    A: b\n", "[", "]", "{", "}", "|\n", "  ", "\n", "- wait\n", "agents: { queue: q }\n", "'", '"', "#c\n");
    fc.assert(fc.property(fc.array(fragment, { maxLength: 60 }).map((a) => a.join("")), check), { numRuns: 300 });
  });
});

describe("readPipeline: YAML as people write it", () => {
  it("an env, command or plugins key holding only comments is empty, not an error", () => {
    const text = ["env:", "  # FOO: bar", "steps:", "  - label: a", "    command:", "      # nothing yet", "    env:", "      # DEBUG: 1", "    plugins:", "      # - docker#v5", "  - command: make", ""].join("\n");
    const { pipeline, diagnostics } = readPipeline(text, "p.yml");
    expect(diagnostics).toEqual([]);
    expect(pipeline!.env).toEqual([]);
    expect(pipeline!.steps.map((s) => [s.commands.length, s.env.length, s.plugins.length])).toEqual([[0, 0, 0], [1, 0, 0]]);
  });

  it("a candidate file under .buildkite/ is read when it has a pipeline's shape, and says why not otherwise", () => {
    expect(readPipeline("steps:\n  - command: make\n", "d.yml", { candidate: true }).pipeline?.steps).toHaveLength(1);
    expect(readPipeline("- command: make\n- wait\n", "d.yml", { candidate: true }).pipeline?.steps).toHaveLength(2);
    const compose = readPipeline("services:\n  app:\n    image: node\n", "docker-compose.yml", { candidate: true });
    expect(compose).toEqual({ diagnostics: [], notPipeline: "a mapping without 'steps'" });
    // A Logstash pipelines.yml: a list, but not of steps.
    expect(readPipeline("- pipeline.id: main\n  path.config: x\n", "pipelines.yml", { candidate: true }).notPipeline).toBe("a list whose items are not steps");
    // Not a candidate: a named pipeline file without steps is a gap.
    expect(readPipeline("services: {}\n", ".buildkite/pipeline.yml").diagnostics).toEqual([{ file: ".buildkite/pipeline.yml", line: 1, message: "a pipeline needs 'steps'" }]);
  });
});
