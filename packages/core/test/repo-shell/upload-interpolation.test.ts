import { describe, expect, it } from "vitest";
import { readShell } from "../../src/repo/shell/read-shell.ts";

/** `[line, name]` of each `$X` in pipeline text that upload interpolation replaces after the step sets X. */
const found = (text: string): [number, string][] => readShell(text, "p.yml", { pipelineEscapes: true }).facts.uploadInterpolations.map((u) => [u.line, u.name]);

describe("upload-time interpolation of variables the step sets", () => {
  it("counts assignments that last in the step's shell", () => {
    expect(found('FOO=1\necho "$FOO"')).toEqual([[2, "FOO"]]);
    expect(found('export FOO=1\necho "$FOO"')).toEqual([[2, "FOO"]]);
    expect(found('declare -r FOO=1; readonly BAR=2\necho "$FOO $BAR"')).toEqual([
      [2, "FOO"],
      [2, "BAR"],
    ]);
    expect(found("if x; then FOO=1; fi\necho $FOO")).toEqual([[2, "FOO"]]);
    expect(found("for f in a b; do echo $f; done")).toEqual([[1, "f"]]);
    // in a function the text calls
    expect(found("setup() { FOO=1; }\nsetup\necho $FOO")).toEqual([[3, "FOO"]]);
    expect(found("function setup { FOO=1; }\nsetup\necho $FOO")).toEqual([[3, "FOO"]]);
  });

  it("does not count assignments that do not last", () => {
    // for one command only
    expect(found('FOO=1 make build\necho "$FOO"')).toEqual([]);
    expect(found("env ENVV=1 make\necho $ENVV")).toEqual([]);
    expect(found("sudo SV=1 make\necho $SV")).toEqual([]);
    // in a subshell, a pipeline, a command substitution
    expect(found("( FOO=1 )\necho $FOO")).toEqual([]);
    expect(found("echo | FOO=1\necho $FOO")).toEqual([]);
    expect(found("X=$$(FOO=1; echo)\necho $FOO")).toEqual([]);
    // in a function never called
    expect(found("setup() { FOO=1; }\necho $FOO")).toEqual([]);
    expect(found("function setup { local FOO=1; }\necho $FOO")).toEqual([]);
    // the function's own braces end it
    expect(found("setup() { A=1; }\n{ B=1; }\necho $A $B")).toEqual([[3, "B"]]);
  });

  it("finds $X inside single quotes, which Buildkite replaces too", () => {
    expect(found("QUX=1\necho '$QUX' '${QUX}'")).toEqual([[2, "QUX"]]);
    expect(found("QUX=1\necho '$$QUX' '\\$QUX'")).toEqual([]);
    // shell text (not pipeline YAML) is left alone
    expect(readShell("QUX=1\necho '$QUX'", "x.sh").facts.uploadInterpolations).toEqual([]);
  });
});
