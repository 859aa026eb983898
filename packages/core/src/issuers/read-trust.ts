/**
 * What one federated credential trusts, whatever its issuer: the platform, the workload its
 * subject (or its expression's `sub` clause) names, in words, and why it can match no token
 * when the text alone shows that. Facts only; the rules judge.
 */
import { readClaimsExpression } from "../graph/claims-expression.ts";
import type { FederatedCredential } from "../model/inventory.ts";
import { azureDevOpsWorkload, describeAzureDevOpsSubject, readAzureDevOpsSubject } from "./azure-devops.ts";
import { describeGitHubSubject, githubWorkload, readGitHubSubject, repositoryNameProblem } from "./github.ts";
import { describeGitLabSubject, readGitLabSubject } from "./gitlab.ts";
import { describeKubernetesSubject, readKubernetesSubject } from "./kubernetes.ts";
import { issuerProblem, keywordCaseProblem, platformName, platformOf, TERRAFORM_CLOUD_ISSUERS } from "./platform.ts";
import { describeTerraformCloudSubject, readTerraformCloudSubject, terraformCloudWorkload } from "./terraform-cloud.ts";
import type { Platform, WorkloadTrust } from "./types.ts";

const hasWildcard = (s: string) => /[*?]/.test(s);

export function readTrust(credential: FederatedCredential): WorkloadTrust {
  const { issuer } = credential;
  const e = credential.claimsMatchingExpression;
  if (!e) return readSubject(issuer, credential.subject, false);
  const reading = readClaimsExpression(e);
  if (reading.exactSubject !== undefined) return readSubject(issuer, reading.exactSubject, true);
  const pattern = reading.clauses?.find((c) => c.claim === "sub")?.value;
  if (pattern === undefined) {
    const platform = platformOf(issuer);
    const name = platformName(platform, issuer);
    const problem = issuerProblem(platform, issuer);
    const label = reading.clauses
      ? `any subject ${name} issues (no clause of the expression constrains sub)`
      : `any subject ${name} issues (the expression is not in the documented form, so trustscope reads it as accepting any subject)`;
    return { platform, platformName: name, workload: "*", label, expression: true, wide: true, ...(problem ? { problem } : {}) };
  }
  return readPattern(issuer, pattern);
}

function readSubject(issuer: string, subject: string, expression: boolean): WorkloadTrust {
  const platform = platformOf(issuer, subject);
  const base = { platform, platformName: platformName(platform, issuer), expression, wide: false };
  const issuerIssue = issuerProblem(platform, issuer);
  const withProblem = (t: WorkloadTrust, problem: string | undefined): WorkloadTrust => {
    const p = issuerIssue ?? problem;
    return p === undefined ? t : { ...t, problem: p };
  };
  switch (platform) {
    case "github": {
      const r = readGitHubSubject(subject);
      const ghesImmutable = r.subject.immutable && /\/_services\/token\/*$/.test(issuer) ? "GitHub Enterprise Server does not issue immutable (owner@ID/repo@ID) subjects: matches no token" : undefined;
      return withProblem({ ...base, workload: githubWorkload(r.subject, subject), label: describeGitHubSubject(r.subject), github: r.subject }, r.problem ?? ghesImmutable);
    }
    case "gitlab": {
      const r = readGitLabSubject(subject);
      if (!r.subject) return withProblem({ ...base, workload: subject, label: `GitLab subject '${subject}'` }, r.problem);
      return withProblem({ ...base, workload: r.subject.projectPath, label: describeGitLabSubject(r.subject), gitlab: r.subject }, r.problem);
    }
    case "terraform-cloud": {
      const r = readTerraformCloudSubject(subject);
      if (!r.subject) return withProblem({ ...base, workload: subject, label: `Terraform Cloud subject '${subject}'` }, r.problem);
      const legacy =
        r.legacy && TERRAFORM_CLOUD_ISSUERS.includes(issuer)
          ? "HCP Terraform has put the project in its subjects (organization:O:project:P:workspace:W:…) since projects arrived in 2023: the form without project: matches no token"
          : undefined;
      return withProblem({ ...base, workload: terraformCloudWorkload(r.subject), label: describeTerraformCloudSubject(r.subject), terraformCloud: r.subject }, r.problem ?? legacy);
    }
    case "azure-devops": {
      const r = readAzureDevOpsSubject(subject);
      if (!r.subject) return withProblem({ ...base, workload: subject, label: `Azure DevOps subject '${subject}'` }, r.problem);
      return withProblem({ ...base, workload: azureDevOpsWorkload(r.subject), label: describeAzureDevOpsSubject(r.subject), azureDevOps: r.subject }, r.problem);
    }
    case "kubernetes": {
      const r = readKubernetesSubject(subject);
      if (!r.subject) return withProblem({ ...base, workload: subject, label: `Kubernetes subject '${subject}'` }, r.problem);
      return withProblem({ ...base, workload: `${r.subject.namespace}/${r.subject.serviceAccount}`, label: describeKubernetesSubject(r.subject), kubernetes: r.subject }, r.problem);
    }
    case "buildkite":
      // Buildkite subjects name UUIDs the Buildkite index resolves; that is done elsewhere.
      return withProblem({ ...base, workload: subject, label: `Buildkite subject '${subject}'` }, undefined);
    default:
      return withProblem({ ...base, workload: subject, label: `subject '${subject}'` }, undefined);
  }
}

/** The keyword each platform's subjects start with, for a pattern spelt in another case. */
const KEYWORD: Partial<Record<Platform, string>> = {
  github: "repo:",
  gitlab: "project_path:",
  "terraform-cloud": "organization:",
  kubernetes: "system:serviceaccount:",
  "azure-devops": "sc://",
};

function readPattern(issuer: string, pattern: string): WorkloadTrust {
  const platform = platformOf(issuer, pattern);
  const base = { platform, platformName: platformName(platform, issuer), expression: true, wide: true };
  const keyword = KEYWORD[platform];
  const head = keyword ? pattern.slice(0, keyword.length) : "";
  const problem =
    issuerProblem(platform, issuer) ??
    (keyword && head !== keyword && head.toLowerCase() === keyword ? keywordCaseProblem(head, keyword) : undefined) ??
    (platform === "github" ? githubPatternProblem(pattern) : undefined);
  const t = { ...base, ...describePattern(platform, pattern) };
  return problem === undefined ? t : { ...t, problem };
}

/** A `repo:` pattern whose owner/repository part no GitHub name can fill (`repo:(a|b)/.*`: regex syntax, which `matches` reads literally). */
function githubPatternProblem(pattern: string): string | undefined {
  const s = split(pattern, "repo:");
  return s && s.seg.includes("/") ? repositoryNameProblem(s.seg) : undefined;
}

type PatternReading = Pick<WorkloadTrust, "workload" | "label" | "github" | "gitlab" | "terraformCloud" | "kubernetes">;

/** What a wildcard subject pattern reaches, in words, per platform. */
function describePattern(platform: Platform, pattern: string): PatternReading {
  const generic = { workload: pattern, label: `${platform === "unknown" ? "" : `${platformName(platform, "")} `}subjects matching '${pattern}'` };
  switch (platform) {
    case "github":
      return describeGitHubPattern(pattern) ?? generic;
    case "gitlab":
      return describeGitLabPattern(pattern) ?? generic;
    case "kubernetes":
      return describeKubernetesPattern(pattern) ?? generic;
    case "terraform-cloud": {
      // Organisation, project and workspace (or Stack and deployment) spelt out: one workspace, any phase.
      const one = /^organization:([^:*?]+):project:([^:*?]+):(?:workspace:([^:*?]+)|stack:([^:*?]+):deployment:([^:*?]+)):/i.exec(pattern);
      if (one) {
        const place = one[3] !== undefined ? { workspace: one[3] } : { stack: one[4]!, deployment: one[5]! };
        const s = { organization: one[1]!, project: one[2]!, ...place };
        return { workload: terraformCloudWorkload(s), label: `${describeTerraformCloudSubject(s)} (subject pattern '${pattern}')`, terraformCloud: s };
      }
      const m = /^organization:([^:*?]+):/i.exec(pattern);
      return m ? { workload: `${m[1]}/*`, label: `Terraform Cloud runs of organisation '${m[1]}' whose subject matches '${pattern}'`, terraformCloud: { organization: m[1]! } } : generic;
    }
    default:
      return generic;
  }
}

/** `(KEY:)SEGMENT:REST`: the first value after `key:` and what follows its `:` (undefined when none does). */
function split(pattern: string, key: string): { seg: string; rest?: string } | undefined {
  if (pattern.slice(0, key.length).toLowerCase() !== key) return undefined;
  const body = pattern.slice(key.length);
  const colon = body.indexOf(":");
  return colon < 0 ? { seg: body } : { seg: body.slice(0, colon), rest: body.slice(colon + 1) };
}

function describeGitHubPattern(pattern: string): PatternReading | undefined {
  const s = split(pattern, "repo:");
  if (!s) return undefined;
  const slash = s.seg.indexOf("/");
  const owner = (slash < 0 ? s.seg : s.seg.slice(0, slash)).replace(/@\d+$/, "");
  if (!hasWildcard(s.seg) && slash > 0 && s.rest !== undefined) {
    const repository = s.seg.replace(/@\d+(?=\/|$)/g, "");
    const repo = `GitHub repository '${repository}'`;
    const rest = s.rest;
    const label =
      rest === "*"
        ? `any workflow of ${repo} (any branch, tag, environment or pull request)`
        : rest === "ref:refs/heads/*"
          ? `any branch of ${repo}`
          : rest === "ref:refs/tags/*"
            ? `any tag of ${repo}`
            : rest === "ref:*"
              ? `any branch or tag of ${repo}`
              : rest === "environment:*"
                ? `any environment of ${repo}`
                : `workflows of ${repo} whose context matches '${rest}'`;
    return { workload: repository, label, github: { repository, claimKeys: [], claims: {} } };
  }
  if (hasWildcard(owner) || owner === "") return { workload: pattern, label: `repositories of every GitHub owner matching '${owner || "*"}' (subject pattern '${pattern}')` };
  const repoPart = slash < 0 ? "*" : s.seg.slice(slash + 1);
  const label =
    repoPart === "*" ? `every repository of GitHub owner '${owner}'${pattern === `repo:${s.seg}` ? "" : ` (subject pattern '${pattern}')`}` : `repositories of GitHub owner '${owner}' matching '${repoPart}' (subject pattern '${pattern}')`;
  return { workload: `${owner}/*`, label, github: { repositoryOwner: owner, claimKeys: [], claims: {} } };
}

function describeGitLabPattern(pattern: string): PatternReading | undefined {
  const s = split(pattern, "project_path:");
  if (!s) return undefined;
  if (!hasWildcard(s.seg) && s.rest !== undefined) {
    const project = `GitLab project '${s.seg}'`;
    const label =
      s.rest === "*"
        ? `every pipeline of ${project}`
        : s.rest === "ref_type:branch:ref:*"
          ? `any branch of ${project}`
          : s.rest === "ref_type:tag:ref:*"
            ? `any tag of ${project}`
            : `pipelines of ${project} whose subject matches '${pattern}'`;
    return { workload: s.seg, label, gitlab: { projectPath: s.seg } };
  }
  const group = /^([^*?]*)\/\*$/.exec(s.seg)?.[1];
  if (group && !group.includes("*")) return { workload: `${group}/*`, label: `every project under GitLab group '${group}'${s.rest === undefined ? "" : ` (subject pattern '${pattern}')`}` };
  return { workload: pattern, label: `GitLab projects matching '${s.seg}' (subject pattern '${pattern}')` };
}

function describeKubernetesPattern(pattern: string): PatternReading | undefined {
  const s = split(pattern, "system:serviceaccount:");
  if (!s) return undefined;
  if (hasWildcard(s.seg) || s.rest === undefined) {
    return { workload: pattern, label: s.seg === "*" ? "service accounts of every Kubernetes namespace" : `service accounts in Kubernetes namespaces matching '${s.seg}' (subject pattern '${pattern}')` };
  }
  const label = s.rest === "*" ? `every service account in Kubernetes namespace '${s.seg}'` : `service accounts matching '${s.rest}' in Kubernetes namespace '${s.seg}'`;
  return { workload: `${s.seg}/*`, label, kubernetes: { namespace: s.seg, serviceAccount: s.rest } };
}
