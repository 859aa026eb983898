import { describe, expect, it } from "vitest";
import { readWorkflow } from "../../src/repo/github-workflows/read-workflow.ts";
import { githubIssuerFor, githubJobSubjects, githubRepositoryOf } from "../../src/repo/github-workflows/subjects.ts";

/** The subjects (exact ones plain, patterns marked `~`) of the first job of a workflow with `on`. */
function subjects(on: string, job = "", defaultBranch?: string): string[] {
  const wf = readWorkflow(`on:\n${on}\njobs:\n  d:\n    runs-on: x\n${job}    steps: []\n`, "w.yml").workflow!;
  const r = githubJobSubjects(wf, wf.jobs[0]!, { repository: "Acme/App", ...(defaultBranch ? { defaultBranch } : {}) });
  return r.decidedElsewhere ? [`elsewhere: ${r.decidedElsewhere}`] : r.subjects.map((s) => `${s.pattern ? "~" : ""}${s.subject}`);
}

describe("githubJobSubjects", () => {
  it("an environment decides the subject, whatever the trigger", () => {
    expect(subjects("  pull_request:\n  push:", "    environment: production\n")).toEqual(["repo:Acme/App:environment:production"]);
    expect(subjects("  push:", "    environment:\n      name: Prod\n      url: https://x\n")).toEqual(["repo:Acme/App:environment:Prod"]);
    expect(subjects("  push:", "    environment: ${{ inputs.env }}\n")).toEqual(["~repo:Acme/App:environment:*"]);
  });

  it("pull_request presents the pull_request context", () => {
    expect(subjects("  pull_request:\n    branches: [main]")).toEqual(["repo:Acme/App:pull_request"]);
  });

  it("push: one subject per literal branch, a pattern per glob; tags only when filtered on tags", () => {
    expect(subjects("  push:\n    branches: [main, 'release/**', '!release/old']")).toEqual(["repo:Acme/App:ref:refs/heads/main", "~repo:Acme/App:ref:refs/heads/release/*"]);
    expect(subjects("  push:\n    tags: ['v*']")).toEqual(["~repo:Acme/App:ref:refs/tags/v*"]);
    expect(subjects("  push:")).toEqual(["~repo:Acme/App:ref:refs/heads/*", "~repo:Acme/App:ref:refs/tags/*"]);
    expect(subjects("  push:\n    branches-ignore: [wip]")).toEqual(["~repo:Acme/App:ref:refs/heads/*"]);
  });

  it("pull_request_target, workflow_run and schedule run on the default branch, known or not", () => {
    expect(subjects("  pull_request_target:\n  schedule:\n    - cron: '0 0 * * *'")).toEqual(["~repo:Acme/App:ref:refs/heads/*"]);
    expect(subjects("  workflow_run:\n    workflows: [CI]", "", "trunk")).toEqual(["repo:Acme/App:ref:refs/heads/trunk"]);
  });

  it("workflow_dispatch: any ref; workflow_call: the caller decides", () => {
    expect(subjects("  workflow_dispatch:")).toEqual(["~repo:Acme/App:ref:refs/*"]);
    expect(subjects("  workflow_call:")[0]).toMatch(/^elsewhere: .*caller/);
    expect(subjects("  push:", "    uses: ./.github/workflows/deploy.yml\n")[0]).toMatch(/^elsewhere: the job calls/);
  });
});

describe("githubRepositoryOf", () => {
  it.each([
    ["https://github.com/Acme/App.git", "Acme/App", "github.com"],
    ["git@github.com:Acme/App.git", "Acme/App", "github.com"],
    ["ssh://git@github.com/acme/app", "acme/app", "github.com"],
    ["https://user@ghe.example.com/Team/Svc", "Team/Svc", "ghe.example.com"],
  ])("%s → %s on %s", (url, repository, host) => {
    expect(githubRepositoryOf(url)).toEqual({ repository, host });
  });

  it("refuses a path that is not owner/repo", () => {
    expect(githubRepositoryOf("https://gitlab.com/group/sub/project.git")).toBeUndefined();
  });

  it("names GitHub's issuer or a GHES one", () => {
    expect(githubIssuerFor("github.com")).toBe("https://token.actions.githubusercontent.com");
    expect(githubIssuerFor("ghe.example.com")).toBe("https://ghe.example.com/_services/token");
  });
});
