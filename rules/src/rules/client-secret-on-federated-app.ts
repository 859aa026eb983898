import { describeIdentity, findingIdentity, type Rule } from "@trustscope/core";

export const clientSecretOnFederatedApp: Rule = {
  meta: {
    id: "client-secret-on-federated-app",
    title: "An app registration that trusts Buildkite (or another OIDC issuer) still has client secrets",
    defaultSeverity: "medium",
    description:
      "Federated credentials exist so that no long-lived secret has to be stored in CI. An app registration that trusts Buildkite, GitHub Actions or any other OIDC issuer and still has a valid client secret can be used by whoever holds that secret, from anywhere, with none of the pipeline's constraints: the migration to OIDC is not finished.",
    tags: ["security", "secrets"],
  },
  *check({ graph, now }) {
    for (const identity of graph.identities) {
      const app = identity.application;
      if (!app || identity.credentials.length === 0) continue;
      const live = app.passwordCredentials.filter((p) => !p.endDateTime || Date.parse(p.endDateTime) > now.getTime());
      const expired = app.passwordCredentials.length - live.length;
      if (app.passwordCredentials.length === 0) continue;
      // "Buildkite", or every platform it trusts: "Buildkite and GitHub Actions".
      const platforms = [...new Set(identity.credentials.map((e) => e.trust.platformName))];
      const trusts = platforms.length > 1 ? `${platforms.slice(0, -1).join(", ")} and ${platforms.at(-1)}` : platforms[0];
      const describe = (p: (typeof app.passwordCredentials)[number]) =>
        `secret ${p.keyId}${p.displayName ? ` ('${p.displayName}')` : ""}${p.endDateTime ? ` expires ${p.endDateTime}` : " never expires"}`;
      yield {
        severity: live.length > 0 ? "medium" : "info",
        message:
          live.length > 0
            ? `${describeIdentity(identity)} trusts ${trusts} through OIDC but still has ${live.length} valid client secret(s).`
            : `${describeIdentity(identity)} trusts ${trusts} through OIDC and keeps ${expired} expired client secret(s).`,
        identity: findingIdentity(identity),
        evidence: [
          ...live.map(describe),
          ...(expired > 0 ? [`${expired} expired secret(s) are also listed`] : []),
          `federated credential(s): ${identity.credentials.map((e) => e.credential.name).join(", ")}`,
        ],
        remediation: `Remove the secrets once nothing uses them: az ad app credential delete --id ${app.appId} --key-id <keyId>. Search pipelines, workflows and their secrets for AZURE_CLIENT_SECRET, 'az login --password' and 'azd auth login --client-secret' first.`,
        // One finding per app: rotating a secret must not turn it into a new problem.
        key: [identity.key],
        anchor: `${identity.anchor}/passwordCredentials`,
      };
    }
  },
};
