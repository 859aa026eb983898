import { classifyIssuer, describeIdentity, findingCredential, findingIdentity, TOKEN_EXCHANGE_AUDIENCES, type Rule } from "@trustscope/core";
import { literal, templateCredentials } from "../support/templates.ts";

const EXCHANGE = new Set(Object.values(TOKEN_EXCHANGE_AUDIENCES));

export const unexpectedAudience: Rule = {
  meta: {
    id: "unexpected-audience",
    title: "A Buildkite credential's audience is not the token-exchange audience of the tenant's cloud",
    defaultSeverity: "medium",
    description:
      "Azure federated credentials should carry exactly one audience: api://AzureADTokenExchange in the public cloud, api://AzureADTokenExchangeUSGov or api://AzureADTokenExchangeChina in the sovereign clouds. Buildkite only issues the pipeline-UUID subject for the token-exchange audience; for any other audience it issues a compound subject bound to one commit, and a custom audience invites tokens minted for other relying parties to be replayed against Azure.",
    tags: ["correctness", "federation"],
  },
  *check({ graph, repo }) {
    const cloud = graph.inventory.cloud;
    const expected = TOKEN_EXCHANGE_AUDIENCES[cloud];
    for (const t of templateCredentials(repo)) {
      const issuer = literal(t.issuer);
      if (issuer === undefined || classifyIssuer(issuer) === "other" || !t.audiences) continue;
      const auds = t.audiences.map((a) => literal(a));
      if (auds.some((a) => a === undefined)) continue; // an expression: nothing to judge
      if (auds.length === 1 && auds[0] === expected) continue;
      yield {
        message: `The ${t.declaredBy} declares a Buildkite federated credential${t.name ? ` '${t.name}'` : ""} with audiences ${JSON.stringify(auds)}; a tenant in ${cloud} expects exactly ["${expected}"].`,
        location: { file: t.file, line: t.line },
        evidence: [`audiences in ${t.file}: ${t.audiences.map((a) => a.raw).join(", ")}`, `the cloud is ${cloud}${graph.inventory.azure ? "" : " (the default; give --cloud or an inventory to check another)"}`],
        remediation: `Set audiences to ['${expected}'].`,
        key: [t.file, t.name ?? "", auds.join(",")],
      };
    }
    for (const edge of graph.edges) {
      if (edge.issuerKind !== "buildkite") continue;
      const auds = edge.credential.audiences;
      if (auds.length === 1 && auds[0] === expected) continue;
      const evidence: string[] = [`audiences: ${JSON.stringify(auds)}; the tenant is in ${cloud}, which expects ${JSON.stringify([expected])}`];
      let problem: string;
      if (auds.length !== 1) {
        problem = `has ${auds.length} audiences; Entra expects exactly one`;
      } else if (EXCHANGE.has(auds[0]!)) {
        problem = `uses ${auds[0]}, the audience of another cloud`;
        evidence.push(`${auds[0]} belongs to ${Object.entries(TOKEN_EXCHANGE_AUDIENCES).find(([, v]) => v === auds[0])?.[0]}`);
      } else {
        problem = `uses the custom audience '${auds[0]}'`;
        evidence.push("for audiences other than the token-exchange one, Buildkite's default subject is the compound organization:…:commit:…:step:… string");
      }
      yield {
        message: `Credential '${edge.credential.name}' on ${describeIdentity(edge.identity)} ${problem}.`,
        identity: findingIdentity(edge.identity),
        credential: findingCredential(edge),
        evidence,
        remediation: `Set the credential's audiences to ["${expected}"] and request tokens with 'buildkite-agent oidc request-token --audience ${expected}'.`,
        key: [edge.identity.key, edge.credential.name, auds.join(",")],
        anchor: edge.anchor,
      };
    }
  },
};
