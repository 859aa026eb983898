import { at, type Rule } from "@trustscope/core";

/**
 * `$X` in a step's command is replaced by `buildkite-agent pipeline upload` before the job runs.
 * When the commands set X themselves, the reference is empty at run time: a login flag, a
 * subject claim or a script path silently becomes nothing.
 */
export const uploadTimeInterpolation: Rule = {
  meta: {
    id: "upload-time-interpolation",
    title: "A step's command reads a variable it sets with $X, which Buildkite replaces at upload",
    defaultSeverity: "low",
    description:
      "Buildkite interpolates $X and ${X} in pipeline YAML when the pipeline is uploaded, before any command runs. A variable that the step's own commands set is empty at that moment, so the command runs with nothing where the value should be (a missing --subject-claim, client ID or path). Write $$X to let the shell read it when the step runs.",
    tags: ["correctness", "repository"],
  },
  *check({ repo }) {
    if (!repo) return;
    for (const facts of repo.inline.values()) {
      for (const u of facts.uploadInterpolations) {
        yield {
          message: `\`${u.raw}\` at ${at(u)} is replaced when the pipeline is uploaded, before the commands that set ${u.name} run, so it is empty; write \`$${u.raw}\`.`,
          location: { file: u.file, line: u.line },
          evidence: [`${u.name} is set by the step's own commands`, `${u.raw} (not $${u.raw}) is interpolated by 'buildkite-agent pipeline upload'`],
          remediation: `Escape it as \`$${u.raw}\` so the shell expands it when the step runs, or set ${u.name} in the step's env instead of its commands.`,
          key: [u.file, u.name],
        };
      }
    }
  },
};
