import { describeIdentity, findingCredential, findingIdentity, type Rule, type Severity } from "@trustscope/core";
import { changeReach, exactGitHubSubject, githubFor, grantEvidence, matchText, type ChangeReach } from "../support/github-trust.ts";

export const subjectNamesMissingRepository: Rule = {
  meta: {
    id: "subject-names-missing-repository",
    title: "A GitHub credential names a repository GitHub does not return (deleted, renamed or moved)",
    defaultSeverity: "high",
    description:
      "A federated credential names a GitHub repository by owner and name, and GitHub answered 404 for it (the repository was deleted, or never existed) or redirected it (it was renamed or transferred, and its tokens now carry the new name). Whoever creates a repository with that name (an organisation member, or anyone at all when the owner's name is free) gets tokens with exactly that subject and can log in as the identity (repojacking). A subject that also pins repository_id cannot be claimed this way: a new repository gets a new ID.",
    tags: ["security", "federation", "github"],
  },
  *check({ graph, environments }) {
    const missing = new Set((graph.inventory.github?.missingRepositories ?? []).map((r) => r.toLowerCase()));
    const moved = new Set((graph.inventory.github?.movedRepositories ?? []).map((r) => r.toLowerCase()));
    if (missing.size === 0 && moved.size === 0) return;
    for (const edge of graph.edges) {
      const subject = exactGitHubSubject(edge);
      const name = subject?.repository;
      // 404 on one GitHub says nothing of a repository of the same name on another.
      if (!subject || name === undefined || !githubFor(graph.inventory.github, edge.credential.issuer)) continue;
      const wasMoved = moved.has(name.toLowerCase());
      if (!wasMoved && !missing.has(name.toLowerCase())) continue;
      // What GitHub said of the name, for the message and the evidence.
      const said = wasMoved ? "which GitHub redirects elsewhere (renamed or transferred)" : "which GitHub says does not exist (404): unless the token that read GitHub cannot see it,";
      const reach = changeReach(edge.identity, environments);
      // A repository created with the name gets a new ID: a subject that pins the ID is dead, not claimable.
      const pinnedId = subject.repositoryId !== undefined;
      const severity = pinnedId ? "low" : severityOf(reach);
      const scope = reach.productionChange[0]?.grant.assignment.scope ?? reach.productionRead[0]?.grant.assignment.scope;
      const who = describeIdentity(edge.identity);
      yield {
        severity,
        message: pinnedId
          ? `Credential '${edge.credential.name}' on ${who} names GitHub repository '${name}', ${wasMoved ? `${said}:` : said} delete the credential, which matches no token.`
          : `${who} trusts GitHub repository '${name}', ${wasMoved ? `${said}: tokens carry the new name, so` : said} whoever creates a repository with that name can log in as it, so delete credential '${edge.credential.name}' or point it at the repository that deploys.`,
        identity: findingIdentity(edge.identity),
        credential: findingCredential(edge),
        ...(scope ? { scope } : {}),
        evidence: [
          `subject ${matchText(edge.credential)} names repository '${name}'`,
          wasMoved
            ? `GitHub's API answered ${name} with a redirect: the repository was renamed or transferred, and its workflows' tokens carry the new name; the old name is free for a new repository of the same owner (and of anyone, after a transfer to another owner)`
            : `GitHub's API answered 404 for ${name}: it was deleted or renamed (a renamed repository's old name redirects for git, but tokens carry the new name), or it never existed, or the token used to read GitHub cannot see it`,
          ...(pinnedId
            ? [`the subject also pins repository_id ${subject.repositoryId}, which a new repository cannot have: the credential is dead rather than claimable, so severity is low`]
            : [
                "GitHub lets anyone create a repository under a free user or organisation name, and members of an existing organisation create repositories in it; the new repository's workflows get tokens with this exact subject",
                ...grantEvidence(reach),
                severityReason(reach),
              ]),
        ],
        remediation:
          "Delete the credential if nothing deploys from that repository any more; if the repository was renamed or transferred, replace the subject with its new name. Prefer subjects that pin the repository's ID (GitHub's immutable repo:OWNER@OWNER_ID/REPO@REPO_ID form, or a template with repository_owner_id and repository_id), which a recreated repository cannot match.",
        key: [edge.identity.key, edge.credential.issuer, matchText(edge.credential)],
        anchor: edge.anchor,
      };
    }
  },
};

/** High with production write, medium with any other write or production read, low when the identity holds nothing that matters. */
function severityOf(reach: ChangeReach): Severity {
  if (reach.productionChange.length > 0) return "high";
  if (reach.otherChange.length > 0 || reach.productionRead.length > 0) return "medium";
  return "low";
}

function severityReason(reach: ChangeReach): string {
  if (reach.productionChange.length > 0) return "the identity can change production, so severity is high";
  if (reach.otherChange.length > 0 || reach.productionRead.length > 0) return "the identity cannot change production (it reads production or changes other scopes), so severity is medium";
  return "the identity holds no role that can change anything or read production, so severity is low";
}
