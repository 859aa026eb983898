import type { Rule, TemplateRoleAssignment } from "@trustscope/core";

/**
 * A template role assignment whose role is a deploy-time value (a parameter, a loop item, a
 * `reference()`) cannot be judged from the repository. Where the same template (or a module it
 * calls) gives an identity federated trust, that unknown role could be Owner for a pipeline: a
 * reviewer should look, so it is said as an `info` finding, not left to a note on stderr.
 */
export const roleDecidedAtDeploy: Rule = {
  meta: {
    id: "role-decided-at-deploy",
    title: "A template with federated trust assigns a role chosen only at deploy time",
    defaultSeverity: "info",
    description:
      "The role definition of a role assignment comes from a template parameter (or a loop item, or a value read from Azure), so the repository does not say which role it is. The same template gives an identity federated trust for CI, so the parameter decides what a pipeline can do in Azure: check the values it is deployed with.",
    tags: ["review", "repository", "templates"],
  },
  *check({ repo }) {
    if (!repo) return;
    for (const t of repo.repo.templates) {
      if (t.federatedCredentials.length === 0) continue;
      const seen = new Set<string>();
      for (const ra of t.roleAssignments as TemplateRoleAssignment[]) {
        if (ra.roleDecidedBy === undefined || ra.roleDefinitionGuid !== undefined) continue;
        const id = `${ra.file}:${ra.line}:${ra.roleDecidedBy}`;
        if (seen.has(id)) continue;
        seen.add(id);
        const fic = t.federatedCredentials[0]!;
        yield {
          message: `The role assigned at ${ra.file}:${ra.line} is chosen by '${ra.roleDecidedBy}' at deploy time, in a template that also declares a federated credential (${fic.file}:${fic.line}).`,
          location: { file: ra.file, line: ra.line },
          ...(ra.definedAt ? { relatedLocations: [{ ...ra.definedAt, message: "the role assignment's declaration" }] } : {}),
          evidence: [
            `roleDefinitionId ${ra.roleDefinitionRaw.length > 120 ? `${ra.roleDefinitionRaw.slice(0, 120)}…` : ra.roleDefinitionRaw}: decided by '${ra.roleDecidedBy}'`,
            `federated credential${fic.name ? ` '${fic.name}'` : ""} at ${fic.file}:${fic.line}`,
            ...(ra.principalRaw ? [`principal ${ra.principalRaw.length > 120 ? `${ra.principalRaw.slice(0, 120)}…` : ra.principalRaw}`] : []),
          ],
          remediation: `Check the values '${ra.roleDecidedBy}' is deployed with (parameter files, pipeline variables): a federated identity should get the narrowest role that works, never Owner or User Access Administrator without a condition. Pinning the role in the template (a literal role definition GUID) lets trustscope judge it.`,
          key: [ra.file, ra.roleDecidedBy, ra.roleDefinitionRaw],
        };
      }
    }
  },
};
