import { describeIdentity, findingCredential, findingIdentity, listSome, openBranchPattern, type GitHubEnvironment, type Rule } from "@trustscope/core";
import { changeReach, deadOnGitHub, exactGitHubSubject, githubFor, githubRepositoryFor, grantEvidence, matchText } from "../support/github-trust.ts";

export const unprotectedEnvironmentSubject: Rule = {
  meta: {
    id: "unprotected-environment-subject",
    title: "A GitHub environment subject names an environment without protection",
    defaultSeverity: "high",
    description:
      "A credential for repo:OWNER/REPO:environment:NAME is only as narrow as the environment's protection rules. An environment with no required reviewers, no deployment branch policy (or a custom one whose pattern, such as *, any branch can be named to match) and no custom deployment protection rule lets a workflow on any branch get the token; one that does not exist is created, unprotected, by the first workflow job that names it. A wait timer alone protects nothing.",
    tags: ["security", "federation", "github"],
  },
  *check({ graph, environments }) {
    for (const edge of graph.edges) {
      const subject = exactGitHubSubject(edge);
      if (subject?.context?.kind !== "environment" || subject.context.value === undefined) continue;
      const github = githubFor(graph.inventory.github, edge.credential.issuer);
      const repo = githubRepositoryFor(github, subject);
      // GitHub not read for this repository (or its environments): coverage notes say so.
      if (!repo?.environments) continue;
      // Owner or repository in another case than GitHub's, or a subject of another template: no token
      // matches, whatever the environment's protection (customised-subject-mismatch says so).
      if (deadOnGitHub(github, edge.credential, subject) !== undefined) continue;
      const wanted = subject.context.value;
      // GitHub compares environment names case-insensitively: `Production` is `production`.
      const env = repo.environments.find((e) => e.name.toLowerCase() === wanted.toLowerCase());
      // A custom branch pattern such as `*` lets any branch deploy, so it restricts nothing; patterns
      // not read are taken to restrict (the coverage gap says why they were not read).
      const open = env ? openBranchPattern(env) : undefined;
      if (env && (env.requiredReviewers > 0 || (env.deploymentBranchPolicy !== null && open === undefined))) continue;
      // A custom deployment protection rule's app approves or rejects each deployment: whether it
      // is a real gate is the app's to decide, which trustscope cannot judge.
      if (env?.customProtectionRules && env.customProtectionRules.length > 0) continue;
      const reach = changeReach(edge.identity, environments);
      const production = reach.productionChange.length > 0;
      const scope = reach.productionChange[0]?.grant.assignment.scope;
      const branches = open === undefined ? "no deployment branch policy" : `a deployment branch policy whose pattern '${open}' any branch can match`;
      const what = !env
        ? `environment '${wanted}' of ${repo.fullName}, which does not exist`
        : env.customProtectionRules
          ? `environment '${env.name}' of ${repo.fullName}, which has no required reviewers, ${branches} and no custom deployment protection rule`
          : `environment '${env.name}' of ${repo.fullName}, which has no required reviewers and ${branches} (its custom deployment protection rules were not read)`;
      const fix = !env ? "create it with required reviewers or a deployment branch policy" : open === undefined ? "add required reviewers or a deployment branch policy to it" : "add required reviewers or narrow its deployment branch policy";
      yield {
        severity: production ? "high" : "medium",
        message: `${describeIdentity(edge.identity)}${production ? `, which can change production scope ${scope},` : ""} trusts ${what}: ${fix}.`,
        identity: findingIdentity(edge.identity),
        credential: findingCredential(edge),
        ...(scope ? { scope } : {}),
        evidence: [
          `subject ${matchText(edge.credential)} names GitHub environment '${wanted}'`,
          ...(env ? environmentEvidence(env, open) : missingEvidence(wanted, repo.environments)),
          ...grantEvidence(reach),
          ...(production ? [] : ["no role that can change production: severity is medium"]),
        ],
        remediation: `In ${repo.fullName}'s settings (Environments), ${env ? `give '${env.name}'` : `create '${wanted}' with`} required reviewers (with prevent self-review) and a deployment branch policy that allows only the protected default branch; or point the credential at an environment that has them.`,
        key: [edge.identity.key, edge.credential.issuer, matchText(edge.credential)],
        anchor: edge.anchor,
      };
    }
  },
};

function environmentEvidence(env: GitHubEnvironment, open: string | undefined): string[] {
  const facts = [
    "required reviewers: none",
    open === undefined ? "deployment branch policy: none (any branch may deploy)" : `deployment branch policy: custom, with branch pattern '${open}', which any branch can be named to match (any branch may deploy)`,
    env.waitTimerMinutes !== undefined && env.waitTimerMinutes > 0 ? `wait timer: ${env.waitTimerMinutes} minutes (delays a job, does not stop it)` : "wait timer: none",
    ...(env.canAdminsBypass !== undefined ? [`administrators can bypass protection rules: ${env.canAdminsBypass ? "yes" : "no"}`] : []),
    ...(env.preventSelfReview !== undefined ? [`prevent self-review: ${env.preventSelfReview ? "yes" : "no"}`] : []),
    env.customProtectionRules ? "custom deployment protection rules: none" : "custom deployment protection rules: not read (a GitHub App's rule could still gate deployments)",
  ];
  return [
    `environment '${env.name}': ${facts.join("; ")}`,
    // Unread custom rules could hold a gate: no claim that nobody approves.
    env.customProtectionRules
      ? "a workflow on any branch that names the environment gets the token without anyone's approval"
      : "a workflow on any branch that names the environment gets the token unless a custom deployment protection rule (not read) stops it",
  ];
}

function missingEvidence(wanted: string, existing: GitHubEnvironment[]): string[] {
  return [
    `the repository has no environment '${wanted}' (${existing.length > 0 ? `it has ${listSome(existing.map((e) => `'${e.name}'`))}` : "it has none"})`,
    "a workflow job that names a missing environment creates it with no protection rules on its first run, so any branch's workflow can get the token",
  ];
}
