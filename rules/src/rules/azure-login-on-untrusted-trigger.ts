import { at, githubRepositoryOf, type GitHubJob, type GitHubWorkflowFile, type Rule, type RuleResult, type Severity } from "@trustscope/core";

/**
 * Events that run in the base repository's trusted context (its secrets, its OIDC subject, a
 * write token) on something an outsider controls: a pull request from a fork, a comment, or the
 * run of another workflow that a fork's pull request started.
 */
const UNTRUSTED: Record<string, string> = {
  pull_request_target: "a pull request, from any fork",
  workflow_run: "the run of another workflow, which a fork's pull request can start",
  issue_comment: "a comment, from anyone who can comment",
  // Anyone who can open an issue or a discussion (on a public repository: anyone) starts these too.
  issues: "an issue, from anyone who can open one",
  discussion: "a discussion, from anyone who can start one",
  discussion_comment: "a discussion comment, from anyone who can comment",
};

/** The jobs of a reusable workflow in this repository that a job calls (`uses: ./.github/workflows/x.yml`). */
function calledJobs(job: GitHubJob, workflows: GitHubWorkflowFile[]): GitHubJob[] {
  const m = /^\.\/(\.github\/workflows\/[^@]+)$/.exec(job.uses ?? "");
  if (!m) return [];
  const called = workflows.find((w) => w.file === m[1] || w.file.endsWith(`/${m[1]}`));
  return called?.jobs ?? [];
}

export const azureLoginOnUntrustedTrigger: Rule = {
  meta: {
    id: "azure-login-on-untrusted-trigger",
    title: "A GitHub workflow that outsiders can trigger logs in to Azure",
    defaultSeverity: "high",
    description:
      "pull_request_target, workflow_run, issue_comment, issues and discussion workflows run in the base repository's trusted context: they can request an OIDC token with the repository's own subject (ref:refs/heads/<default branch>, or the job's environment), yet an outsider decides when they run and what the event carries. A job there that logs in to Azure hands that identity to whatever the job runs; when it checks out or runs the pull request's code (a 'pwn request'), to the pull request's author.",
    tags: ["security", "github-actions", "federation", "pull-requests"],
  },
  *check({ repo, graph }): Generator<RuleResult> {
    const workflows = repo?.repo.githubWorkflows ?? [];
    const remote = repo?.remoteUrl ? githubRepositoryOf(repo.remoteUrl) : undefined;
    const named = (repo?.githubRepository ?? remote?.repository)?.toLowerCase();
    const gh = named ? graph.inventory.github?.repositories.find((r) => r.fullName.toLowerCase() === named) : undefined;
    for (const wf of workflows) {
      const risky = wf.triggers.filter((t) => UNTRUSTED[t.event] !== undefined);
      if (risky.length === 0) continue;
      for (const job of wf.jobs) {
        // A reusable workflow's jobs get at most what the calling job grants.
        const called = calledJobs(job, workflows);
        const logins = job.uses !== undefined ? called.flatMap((c) => c.logins) : job.logins;
        if (logins.length === 0 || job.idToken !== "write") continue;
        const checkouts = job.uses !== undefined ? called.flatMap((c) => c.checkouts) : job.checkouts;
        const prCode = checkouts.filter((c) => c.pullRequestHead);
        const login = logins[0]!;
        let severity: Severity = prCode.length > 0 ? "critical" : "high";
        const evidence: string[] = [
          ...risky.map((t) => `on ${t.event} (${at(t)}): runs for ${UNTRUSTED[t.event]}, in the base repository's context`),
          `the job can request an OIDC token (id-token: write${job.idTokenFrom ? ` at ${at(job.idTokenFrom)}` : ""})`,
          ...logins.map((l) => `logs in to Azure at ${at(l)} (${l.kind === "azure-login-action" ? l.uses : l.kind}${l.clientId ? `, client ID ${l.clientId.raw}` : ""})`),
          ...(job.uses !== undefined ? [`through the reusable workflow ${job.uses}, which the job calls`] : []),
          ...(prCode.length > 0
            ? prCode.map((c) => `checks out the pull request's code at ${at(c)} (${c.uses === "run" ? "a run step" : `ref: ${c.ref ?? c.repository}`}): the author's code runs with the login; severity critical`)
            : ["no step checks out the pull request's code; what the event carries (titles, branch names, artifacts) still reaches the job"]),
          ...(job.if ? [`if: ${job.if} (${at(job)}): a condition, not a review`] : []),
        ];
        if (job.environment) {
          const env = gh?.environments?.find((e) => e.name.toLowerCase() === job.environment!.name.toLowerCase());
          const apps = env?.customProtectionRules ?? [];
          if (env && env.requiredReviewers > 0) {
            severity = "medium";
            evidence.push(`environment '${env.name}' (${at(job.environment)}) requires ${env.requiredReviewers} reviewer(s) before the job runs; severity lowered to medium`);
          } else if (env && apps.length > 0) {
            // A GitHub App approves or rejects each deployment: it may stop the job, by rules trustscope cannot see.
            severity = "medium";
            evidence.push(`environment '${env.name}' (${at(job.environment)}) has no required reviewers but custom deployment protection rules (${apps.join(", ")}) that decide whether the job runs; severity lowered to medium`);
          } else if (env) {
            evidence.push(
              `environment '${env.name}' (${at(job.environment)}) has no required reviewers${env.customProtectionRules ? " and no custom deployment protection rule: it does not stop the job" : " (its custom deployment protection rules were not read)"}`,
            );
          } else {
            evidence.push(`environment '${job.environment.name}' (${at(job.environment)}): whether it requires a reviewer is not known (GitHub's environments were not read)`);
          }
        }
        yield {
          severity,
          message: `Job '${job.id}' in ${wf.file} logs in to Azure on ${risky.map((t) => t.event).join(", ")}, which ${risky.length > 1 ? "outsiders trigger" : `${UNTRUSTED[risky[0]!.event]} triggers`}${prCode.length > 0 ? ", and runs the pull request's code" : ""}.`,
          location: { file: login.file, line: login.line },
          relatedLocations: [...risky.map((t) => ({ file: t.file, line: t.line, message: `on ${t.event}` })), ...prCode.map((c) => ({ file: c.file, line: c.line, message: "checks out the pull request's code" }))],
          evidence,
          remediation:
            prCode.length > 0
              ? "Never log in to Azure in a job that checks out or runs a pull request's code under pull_request_target/workflow_run. Build and test the pull request with `on: pull_request` (no OIDC token for forks, no secrets), and deploy from a separate workflow on push to the default branch, in an environment with required reviewers."
              : "Move the Azure login out of this workflow (deploy on push to the default branch), or put the job in an environment with required reviewers and a deployment branch policy, and trust only that environment's subject (repo:OWNER/REPO:environment:NAME) in the federated credential.",
          key: [wf.file, job.id, risky.map((t) => t.event).join(",")],
        };
      }
    }
  },
};
