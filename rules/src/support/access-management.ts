import { at, type Identity, type RepoAnalysis, type TrustGraph } from "@trustscope/core";

/**
 * What shows that an identity manages access, one line each: role assignments in the inventory
 * that it created (ARM records `createdBy`), and, in the repository, templates or commands that
 * create role assignments, run by steps that log in as it.
 */
export function accessManagementEvidence(graph: TrustGraph, identity: Identity, repo?: RepoAnalysis): string[] {
  const out: string[] = [];
  const principal = identity.principalId?.toLowerCase();
  if (principal) {
    for (const a of graph.inventory.azure?.roleAssignments ?? []) {
      if (a.createdBy?.toLowerCase() === principal) out.push(`it created role assignment ${a.id}`);
    }
  }
  if (repo) {
    const usedHere = repo.tokenUses.some((u) => u.clientId.value?.toLowerCase() === identity.appId.toLowerCase());
    if (usedHere) {
      for (const t of repo.repo.templates) for (const r of t.roleAssignments) out.push(`the repository's pipelines log in as it, and ${at(r)} creates a role assignment`);
      const commands = [...repo.repo.scripts.flatMap((s) => s.roleAssignments), ...[...repo.inline.values()].flatMap((f) => f.roleAssignments)];
      for (const c of commands) out.push(`the repository's pipelines log in as it, and ${at(c)} runs az role assignment create`);
    }
  }
  return out;
}
