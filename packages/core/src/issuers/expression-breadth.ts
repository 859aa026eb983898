/**
 * How far a flexible credential's expression reaches on its platform: more than one repository,
 * every branch, pull requests, every service account, more than one workspace. Read by matching
 * the expression's `sub` clauses against concrete probe subjects, so that `repo:contoso/app:*`
 * is found to accept `repo:contoso/app:pull_request` the way Entra would.
 */
import { globMatches, readClaimsExpression, type ClaimsClause } from "../graph/claims-expression.ts";
import type { FederatedCredential } from "../model/inventory.ts";
import { platformOf } from "./platform.ts";
import type { ExpressionBreadth, Platform } from "./types.ts";

/** Names no one gives a branch, service account or workspace: only a wildcard matches both. */
const PROBES = ["trustscope-probe-0", "zz/trustscope.probe"] as const;
const PROBE_NAME = "trustscope-probe";

const everything = (reasons: string[]): ExpressionBreadth => ({
  moreThanOneRepository: true,
  allBranches: true,
  pullRequests: true,
  allServiceAccounts: true,
  moreThanOneWorkspace: true,
  reasons,
});

const nothing = (reasons: string[]): ExpressionBreadth => ({
  moreThanOneRepository: false,
  allBranches: false,
  pullRequests: false,
  allServiceAccounts: false,
  moreThanOneWorkspace: false,
  reasons,
});

/** Undefined when the credential matches by subject rather than by expression. */
export function expressionBreadth(credential: FederatedCredential): ExpressionBreadth | undefined {
  const e = credential.claimsMatchingExpression;
  if (!e) return undefined;
  const reading = readClaimsExpression(e);
  if (!reading.clauses) return everything([`the expression is not in the documented claims['…'] eq|matches '…' form: it is counted as accepting every subject`]);
  const subs = reading.clauses.filter((c) => c.claim === "sub");
  if (subs.length === 0) return everything(["no clause constrains the subject (sub claim): any subject the issuer signs is accepted"]);
  if (reading.exactSubject !== undefined) return nothing([`the expression pins the subject to '${reading.exactSubject}'`]);
  // Every sub clause must hold (the clauses are joined by `and`).
  const accepts = (subject: string) => subs.every((c) => (c.operator === "eq" ? c.value === subject : globMatches(c.value, subject)));
  const pattern = subs.find((c) => c.operator === "matches")?.value ?? subs[0]!.value;
  const platform = platformOf(credential.issuer, pattern);
  const b = breadthOn(platform, subs, accepts);
  const others = reading.clauses.filter((c) => c.claim !== "sub").map((c) => `clause on '${c.claim}' (not read for breadth): ${c.operator} '${c.value}'`);
  return { ...b, reasons: [...b.reasons, ...others] };
}

/** The claim keys a customised GitHub subject template starts with (lower case, as GitHub writes them). */
const CUSTOM_TEMPLATE_START = /^(?:repository_owner_id|repository_owner|repository_id|repository_visibility|job_workflow_ref|context|environment|ref|ref_type|workflow|actor|actor_id|event_name|enterprise|enterprise_id|head_ref|base_ref|runner_environment|repo_property_[a-z0-9_]+):/;

const all = (accepts: (s: string) => boolean, make: (name: string) => string) => PROBES.every((p) => accepts(make(p)));

/** `KEY:SEGMENT(:…)`: the value after `key:` up to the next `:`, with its wildcards (undefined when the pattern starts otherwise). */
function segment(pattern: string, key: string): string | undefined {
  if (!pattern.startsWith(key)) return undefined;
  const body = pattern.slice(key.length);
  const colon = body.indexOf(":");
  return colon < 0 ? body : body.slice(0, colon);
}

/** A concrete value a pattern segment accepts: its wildcards replaced by probe text. */
const concrete = (seg: string) => seg.replace(/\*/g, PROBE_NAME).replace(/\?/g, "p");

/** Whether the segment is a literal that the pattern closes with `:` (so it pins exactly that value). */
const pinned = (pattern: string, key: string, seg: string | undefined) => seg !== undefined && !/[*?]/.test(seg) && pattern.startsWith(`${key}${seg}:`);

function breadthOn(platform: Platform, subs: ClaimsClause[], accepts: (s: string) => boolean): ExpressionBreadth {
  const patterns = subs.map((c) => c.value);
  const shown = patterns.map((p) => `'${p}'`).join(" and ");
  switch (platform) {
    case "github": {
      const seg = patterns.map((p) => segment(p, "repo:")).find((s) => s !== undefined);
      if (seg === undefined && patterns.some((p) => CUSTOM_TEMPLATE_START.test(p))) {
        // A customised template (repository_owner_id, repository_id, context, …): only GitHub's
        // breadths apply, read from what the pattern spells out. A pattern that leaves the
        // context open (ends in `*` with no environment or ref spelt out) takes every branch and
        // pull request too.
        const pinsRepository = patterns.some((p) => /(?:^|:)repository_id:\d+:/.test(p));
        const openContext = (p: string) => /\*$/.test(p) && !/(?:^|:)(?:environment|ref|context):|pull_request/.test(p);
        const allBranches = patterns.some((p) => /ref:refs\/heads\/[^:]*[*?]/.test(p) || openContext(p));
        const pullRequests = patterns.some(openContext);
        return {
          ...nothing([
            `the subject pattern ${shown} follows a customised template, not GitHub's default repo:OWNER/REPO:… form`,
            pinsRepository ? "it pins one repository by repository_id" : "it pins no repository_id: more than one repository's workflows may match",
            ...(allBranches ? ["it matches every branch"] : []),
            ...(pullRequests ? ["it matches pull-request workflows"] : []),
          ]),
          moreThanOneRepository: !pinsRepository,
          allBranches,
          pullRequests,
        };
      }
      if (seg === undefined && !patterns.some((p) => /^[*?]/.test(p))) {
        return everything([`the subject pattern ${shown} is not in GitHub's repo:OWNER/REPO:… form: trustscope cannot tell which repositories, branches or pull requests it leaves out`]);
      }
      const oneRepo = patterns.some((p) => pinned(p, "repo:", segment(p, "repo:")));
      const repo = seg === undefined ? `${PROBE_NAME}/${PROBE_NAME}` : concrete(seg).includes("/") ? concrete(seg) : `${concrete(seg)}/${PROBE_NAME}`;
      const allBranches = all(accepts, (b) => `repo:${repo}:ref:refs/heads/${b}`);
      const pullRequests = accepts(`repo:${repo}:pull_request`);
      const environments = all(accepts, (env) => `repo:${repo}:environment:${env}`);
      const reasons = [
        oneRepo ? `the subject pattern ${shown} names one repository` : `the subject pattern ${shown} matches more than one repository`,
        ...(allBranches ? [`it matches every branch (e.g. repo:${repo}:ref:refs/heads/${PROBES[0]})`] : []),
        ...(pullRequests ? [`it matches pull-request workflows (repo:${repo}:pull_request)`] : []),
        ...(environments ? [`it matches every environment (e.g. repo:${repo}:environment:${PROBES[0]})`] : []),
      ];
      if (oneRepo && !allBranches && !pullRequests) reasons.push(`still more than one subject: the pattern ${shown} matches every context it does not spell out`);
      return { ...nothing(reasons), moreThanOneRepository: !oneRepo, allBranches, pullRequests };
    }
    case "gitlab": {
      const seg = patterns.map((p) => segment(p, "project_path:")).find((s) => s !== undefined);
      const oneProject = patterns.some((p) => pinned(p, "project_path:", segment(p, "project_path:")));
      const project = seg === undefined ? `${PROBE_NAME}/${PROBE_NAME}` : concrete(seg);
      const allBranches = all(accepts, (b) => `project_path:${project}:ref_type:branch:ref:${b}`);
      return {
        ...nothing([
          oneProject ? `the subject pattern ${shown} names one project` : `the subject pattern ${shown} matches more than one project`,
          ...(allBranches ? [`it matches every branch (e.g. project_path:${project}:ref_type:branch:ref:${PROBES[0]})`] : []),
        ]),
        moreThanOneRepository: !oneProject,
        allBranches,
      };
    }
    case "kubernetes": {
      const seg = patterns.map((p) => segment(p, "system:serviceaccount:")).find((s) => s !== undefined);
      const namespace = seg === undefined ? PROBE_NAME : concrete(seg);
      const allServiceAccounts = all(accepts, (sa) => `system:serviceaccount:${namespace}:${sa}`);
      const everyNamespace = all(accepts, (ns) => `system:serviceaccount:${ns}:${PROBE_NAME}`);
      return {
        ...nothing([
          ...(allServiceAccounts ? [`the subject pattern ${shown} matches every service account of namespace '${namespace}'`] : []),
          ...(everyNamespace ? [`it matches service accounts of every namespace`] : []),
          ...(!allServiceAccounts && !everyNamespace ? [`the subject pattern ${shown} matches more than one service account, not all of a namespace`] : []),
        ]),
        allServiceAccounts: allServiceAccounts || everyNamespace,
      };
    }
    case "terraform-cloud": {
      // One workspace (or Stack deployment) when organisation, project and workspace are spelt out.
      const one = patterns.some((p) => /^organization:[^:*?]+:project:[^:*?]+:(?:workspace:[^:*?]+|stack:[^:*?]+:deployment:[^:*?]+):/.test(p));
      const phases = patterns.some((p) => /:(?:run_phase|operation):[^:]*[*?]/.test(p));
      return {
        ...nothing([
          one ? `the subject pattern ${shown} names one workspace` : `the subject pattern ${shown} matches more than one workspace (or project, or organisation)`,
          ...(phases ? ["it matches both plan and apply runs"] : []),
        ]),
        moreThanOneWorkspace: !one,
      };
    }
    default:
      return everything([`the subject pattern ${shown} is on an issuer whose subjects trustscope does not read: counted as reaching everything`]);
  }
}
