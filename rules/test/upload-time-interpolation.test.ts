import { describe, expect, it } from "vitest";
import { uploadTimeInterpolation } from "../src/rules/upload-time-interpolation.ts";
import { runRepo } from "./support.ts";

describe("upload-time-interpolation", () => {
  it("fires at a $X the step's own commands set", () => {
    const [f, ...rest] = runRepo(uploadTimeInterpolation, {
      ".buildkite/pipeline.yml": ["steps:", "  - command: |", "      CLAIM=cluster_id", "      buildkite-agent oidc request-token --audience api://AzureADTokenExchange --subject-claim $CLAIM", ""].join("\n"),
    });
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ severity: "low", location: { file: ".buildkite/pipeline.yml", line: 4 } });
    expect(f!.message).toMatch(/write `\$\$CLAIM`/);
  });

  it("is quiet for a default taken from the build's environment before the commands set it (elastic/logstash's matrix pipelines)", () => {
    expect(
      runRepo(uploadTimeInterpolation, {
        ".buildkite/pipeline.yml": ["env:", "  DEFAULT_OS: ubuntu", "steps:", "  - command: |", '      export MATRIX_OSES="${MATRIX_OSES:-$DEFAULT_OS}"', "      python3 generate.py", ""].join("\n"),
      }),
    ).toEqual([]);
  });

  it("is quiet for $$X, and for a variable the step does not set", () => {
    expect(
      runRepo(uploadTimeInterpolation, {
        ".buildkite/pipeline.yml": ["steps:", "  - command: |", "      CLAIM=cluster_id", "      echo $$CLAIM $BUILDKITE_BRANCH", ""].join("\n"),
      }),
    ).toEqual([]);
  });
});
