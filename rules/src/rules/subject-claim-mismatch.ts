import {
  at,
  describeIdentity,
  effectiveClaimKeys,
  findingIdentity,
  githubIssuerFor,
  githubJobSubjects,
  githubRepositoryOf,
  githubValueLiteral,
  globMatches,
  listSome,
  parseClaimsExpression,
  pipelinesForRepo,
  SUBJECT_CLAIM_FOR,
  TOKEN_EXCHANGE_AUDIENCES,
  type BuildkitePipeline,
  type ExpectedGitHubSubject,
  type FederatedCredential,
  type Inventory,
  type RepoAnalysis,
  type Rule,
  type RuleResult,
  type TrustGraph,
} from "@trustscope/core";

const KIND_FOR_CLAIM = Object.fromEntries(Object.entries(SUBJECT_CLAIM_FOR).map(([kind, claim]) => [claim, kind]));

export const subjectClaimMismatch: Rule = {
  meta: {
    id: "subject-claim-mismatch",
    title: "The token a pipeline requests matches no federated credential of the identity it logs in as",
    defaultSeverity: "medium",
    description:
      "Entra accepts a token only when a federated credential of the identity has exactly the token's issuer, subject and audience. For Buildkite the subject is decided by the step's --subject-claim (or BUILDKITE_OIDC_TOKEN_SUBJECT_CLAIM, default the pipeline UUID); for a GitHub Actions job, by its environment or the event that runs it (repo:OWNER/REPO:environment:NAME, :pull_request, :ref:refs/heads/BRANCH). When no credential of the identity the step logs in as matches, the login fails (AADSTS70021, AADSTS700213) — and the usual 'fix' under pressure is a wider credential.",
    tags: ["correctness", "federation", "repository"],
  },
  *check({ repo, graph }) {
    if (!repo) return;
    yield* githubMismatches(repo, graph);
    if (!graph.buildkite) return;
    const candidates: BuildkitePipeline[] = pipelinesForRepo(graph.inventory.buildkite?.pipelines ?? [], repo.remoteUrl);
    const org = graph.inventory.buildkite!.organization;
    for (const use of repo.tokenUses) {
      const clientId = use.clientId.value?.toLowerCase();
      const claim = use.subjectClaim.value;
      if (!clientId || !claim) continue;
      const identity = graph.identities.find((i) => i.appId.toLowerCase() === clientId);
      if (!identity) continue;
      const audience = use.audience.value;
      // Without --subject-claim, a non-exchange audience gets the compound subject: that is
      // unexpected-audience's finding, not a subject question.
      if (!use.request.subjectClaim && !(audience ?? "").startsWith("api://AzureADTokenExchange")) continue;
      const fics = identity.credentials.filter((e) => e.issuerKind === "buildkite");
      // Subject and audience must match on the same credential.
      const withAudience = fics.filter((e) => audience !== undefined && e.credential.audiences.includes(audience));
      const audienceOk = withAudience.length > 0;
      let matches: boolean;
      let compared: string;
      if (candidates.length > 0) {
        const expected = new Set<string>();
        for (const p of candidates) {
          if (claim === "pipeline_id") expected.add(p.uuid);
          else if (claim === "cluster_id" && p.clusterUuid) expected.add(p.clusterUuid);
          else if (claim === "organization_id") expected.add(org.uuid);
          else if (claim === "queue_id" && use.step?.queue) {
            const q = graph.inventory.buildkite!.clusters.find((c) => c.uuid === p.clusterUuid)?.queues.find((x) => x.key === use.step!.queue);
            if (q) expected.add(q.uuid);
          }
        }
        // build_id/job_id change every build; queue_id without a known queue cannot be computed.
        if (expected.size === 0 && !["build_id", "job_id"].includes(claim)) continue;
        matches = withAudience.some((e) => expected.has(e.credential.subject));
        compared = `the token's subject would be ${expected.size ? listSome([...expected]) : `a ${claim.replace(/_id$/, "")} UUID that changes every build`} (pipelines ${listSome(candidates.map((p) => p.slug))} build this repository)`;
      } else {
        // Without knowing which pipeline runs the file, compare kinds: a cluster_id request needs a cluster credential.
        const kind = KIND_FOR_CLAIM[claim];
        matches = kind !== undefined && withAudience.some((e) => e.subject?.kind === kind);
        compared = `the token's subject would be a ${claim.replace(/_id$/, "")} UUID`;
      }
      if (matches && audienceOk) continue;
      yield {
        message: `The step at ${at(use.request)} requests a token (--subject-claim ${claim}${audience ? `, --audience ${audience}` : ""}) that no federated credential of ${describeIdentity(identity)} accepts; the login fails with AADSTS70021.`,
        location: { file: use.request.file, line: use.request.line },
        identity: findingIdentity(identity),
        ...(candidates[0] ? { pipeline: { uuid: candidates[0].uuid, slug: candidates[0].slug } } : {}),
        evidence: [
          use.subjectClaim.evidence,
          use.clientId.evidence,
          compared,
          ...(audienceOk ? [] : [`no credential has audience ${audience ?? "(Buildkite's default, not a token-exchange audience)"}`]),
          `credentials compared: ${fics.length ? fics.map((e) => `'${e.credential.name}' subject ${e.credential.subject} audiences ${JSON.stringify(e.credential.audiences)}`).join("; ") : "none with issuer https://agent.buildkite.com"}`,
        ],
        remediation: `Either request the subject the identity trusts (change --subject-claim / BUILDKITE_OIDC_TOKEN_SUBJECT_CLAIM), or add a federated credential with issuer https://agent.buildkite.com, the subject above and audience ${TOKEN_EXCHANGE_AUDIENCES[graph.inventory.cloud]} — scoped to the one pipeline that needs it, not wider.`,
        key: [use.request.file, claim, clientId, audience ?? ""],
      };
    }
  },
};

// ---------------------------------------------------------------------------------------------
// GitHub Actions

const DEFAULT_GITHUB_AUDIENCE = "api://AzureADTokenExchange";

/** `repo:a/b:…` with the repository part replaced by `repository` when they differ only in case. */
function sameRepoCase(subject: string, repository: string): string {
  const m = /^repo:([^:]+)(:.*)?$/.exec(subject);
  return m && m[1]!.toLowerCase() === repository.toLowerCase() ? `repo:${repository}${m[2] ?? ""}` : subject;
}

/**
 * Whether a credential may accept a token with this subject (issuer and audience aside). An
 * expression that cannot be read, or that pins no `sub`, is taken to accept it: the finding is only
 * for a mismatch that is certain.
 */
function accepts(c: FederatedCredential, expected: ExpectedGitHubSubject, fix: (s: string) => string): boolean {
  if (c.claimsMatchingExpression) {
    const clauses = parseClaimsExpression(c.claimsMatchingExpression.value);
    if (!clauses) return true;
    return clauses
      .filter((k) => k.claim === "sub")
      .every((k) => {
        const value = fix(k.value);
        if (k.operator === "eq") return expected.pattern ? globMatches(expected.subject, value) : value === expected.subject;
        // Two patterns: assume they overlap (only an exact subject is checked against a pattern).
        return expected.pattern || globMatches(value, expected.subject);
      });
  }
  const subject = fix(c.subject);
  return expected.pattern ? globMatches(expected.subject, subject) : subject === expected.subject;
}

/**
 * Why the subjects computed here (GitHub's default template, names not IDs) may not be the token's:
 * a customised template, one that follows an organisation template that was not read, or the
 * immutable form. Undefined when GitHub's answers say the default applies, or were not read.
 */
function customTemplate(inventory: Inventory, repository: string): string | undefined {
  const gh = inventory.github?.repositories.find((r) => r.fullName.toLowerCase() === repository.toLowerCase());
  if (!gh?.oidcSubject) return undefined;
  const org = inventory.github?.organizations.find((x) => x.login.toLowerCase() === gh.owner.login.toLowerCase());
  const keys = effectiveClaimKeys(gh, org);
  if (keys === undefined) return `repository ${gh.fullName} follows its organisation's OIDC subject template, which was not read`;
  if (keys.join(",") !== "repo,context") return `repository ${gh.fullName} gets subjects from a customised template (${keys.join(", ")})`;
  if (gh.oidcSubject.useImmutableSubject) return `repository ${gh.fullName} uses immutable subjects (owner@ID/repo@ID)`;
  return undefined;
}

function* githubMismatches(repo: RepoAnalysis, graph: TrustGraph): Generator<RuleResult> {
  const workflows = repo.repo.githubWorkflows ?? [];
  if (workflows.length === 0) return;
  const remote = repo.remoteUrl ? githubRepositoryOf(repo.remoteUrl) : undefined;
  const named = repo.githubRepository ?? remote?.repository;
  if (!named) return;
  const gh = graph.inventory.github?.repositories.find((r) => r.fullName.toLowerCase() === named.toLowerCase());
  const repository = repo.githubRepository ?? gh?.fullName ?? named;
  if (customTemplate(graph.inventory, repository)) return;
  // A remote URL may spell the owner or repository in another case than GitHub does (the token's).
  const exactCase = repo.githubRepository !== undefined || gh !== undefined;
  const fix = (s: string) => (exactCase ? s : sameRepoCase(s, repository));
  const issuer = githubIssuerFor(remote?.host ?? "github.com");
  const source = repo.githubRepository ? "as given" : gh ? "as GitHub spells it" : `from the remote URL ${repo.remoteUrl}`;
  for (const wf of workflows) {
    for (const job of wf.jobs) {
      if (job.idToken !== "write") continue;
      for (const login of job.logins) {
        const clientId = githubValueLiteral(login.clientId)?.toLowerCase();
        if (!clientId) continue;
        const identity = graph.identities.find((i) => i.appId.toLowerCase() === clientId);
        if (!identity) continue;
        // An enterprise may customise the issuer (`…/<enterprise>`): its credentials are candidates too.
        const fics = identity.credentials.filter((e) => e.credential.issuer === issuer || e.credential.issuer.startsWith(`${issuer}/`));
        // Every subject outside the `repo:` form: a customised template, which is not computed here.
        if (fics.length > 0 && fics.every((e) => !e.credential.claimsMatchingExpression && !e.credential.subject.startsWith("repo:"))) continue;
        // The az CLI and PowerShell logins take a token fetched elsewhere: its audience is not read.
        const audience = login.kind === "azure-login-action" ? (login.audience ? githubValueLiteral(login.audience) : DEFAULT_GITHUB_AUDIENCE) : login.kind === "terraform-oidc" ? DEFAULT_GITHUB_AUDIENCE : undefined;
        const audienceKnown = audience !== undefined;
        const { subjects, decidedElsewhere } = githubJobSubjects(wf, job, { repository, ...(gh?.defaultBranch ? { defaultBranch: gh.defaultBranch } : {}) });
        if (decidedElsewhere || subjects.length === 0) continue;
        const withAudience = fics.filter((e) => !audienceKnown || e.credential.audiences.includes(audience));
        if (subjects.some((x) => withAudience.some((e) => accepts(e.credential, x, fix)))) continue;
        const subjectOk = subjects.some((x) => fics.some((e) => accepts(e.credential, x, fix)));
        const caseOnly = !subjectOk && subjects.some((x) => !x.pattern && fics.some((e) => !e.credential.claimsMatchingExpression && e.credential.subject.toLowerCase() === x.subject.toLowerCase()));
        // Entra's code names what did not match: the issuer (no credential of it), the audience, or the subject.
        const code = fics.length === 0 ? "AADSTS700211" : subjectOk ? "AADSTS700212" : caseOnly ? "AADSTS7002138 (the subject matches only without case)" : "AADSTS700213";
        const shown = subjects.map((x) => x.subject);
        yield {
          message: `Job '${job.id}' at ${at(login)} logs in as ${describeIdentity(identity)} with a token whose subject would be ${listSome(shown.map((x) => `'${x}'`), 3)}; no federated credential of it accepts ${subjectOk ? `audience ${audience}` : "that subject"}, so the login fails with ${code}.`,
          location: { file: login.file, line: login.line },
          identity: findingIdentity(identity),
          evidence: [
            `client ID ${login.clientId?.raw}${login.clientId?.resolved ? ` (env at ${at(login.clientId.resolved.at)})` : ""}`,
            `the job can request an OIDC token (id-token: write${job.idTokenFrom ? ` at ${at(job.idTokenFrom)}` : ""})`,
            ...subjects.map((x) => `${x.pattern ? "a subject matching" : "subject"} ${x.subject}: ${x.why}`),
            `repository ${repository} (${source}); GitHub's default subject template assumed${gh ? "" : " (the repository's template was not read)"}`,
            ...(audienceKnown ? [`audience ${audience}${login.audience ? ` (${login.audience.raw})` : " (azure/login's default)"}`] : []),
            `credentials compared: ${fics.length ? fics.map((e) => `'${e.credential.name}' ${e.credential.claimsMatchingExpression ? `expression ${e.credential.claimsMatchingExpression.value}` : `subject ${e.credential.subject}`} audiences ${JSON.stringify(e.credential.audiences)}`).join("; ") : `none with issuer ${issuer}`}`,
          ],
          remediation: `Add a federated credential with issuer ${issuer}, the subject the job presents (${shown[0]}) and audience ${audience ?? DEFAULT_GITHUB_AUDIENCE}, or give the job the environment an existing credential names (environment: NAME) — not a wider credential. Compare case exactly: Entra matches subjects case-sensitively.`,
          key: [wf.file, job.id, clientId, audience ?? ""],
        };
      }
    }
  }
}
