import { at, type Rule, type RuleResult } from "@trustscope/core";

const SECRET_ENV = /^(AZURE|ARM)_CLIENT_SECRET$/;

/** The variable a value reads (`$X`, `${X}`, and `$$X` from pipeline YAML), if it is one. */
function varName(v: { raw: string; variable?: string } | undefined): string | undefined {
  if (!v) return undefined;
  if (v.variable) return v.variable;
  return /^["']?\$\$?\{?([A-Za-z_][A-Za-z0-9_]*)\}?["']?$/.exec(v.raw.trim())?.[1];
}

export const clientSecretLogin: Rule = {
  meta: {
    id: "client-secret-login",
    title: "A pipeline or script logs in to Azure with a client secret",
    defaultSeverity: "high",
    description:
      "A client secret is a long-lived password: it works from any machine, never expires on its own schedule, and leaks through logs, forks and agent compromise. Buildkite pipelines can log in with a short-lived OIDC token through a federated credential instead, which only the named pipeline can obtain.",
    tags: ["security", "secrets", "repository"],
  },
  *check({ repo }) {
    if (!repo) return;
    const seen = new Set<string>();
    const occurrences = new Map<string, number>();
    const emit = (r: RuleResult & { location: { file: string; line: number } }) => {
      const k = `${r.location.file}:${r.location.line}`;
      if (seen.has(k)) return undefined;
      seen.add(k);
      // The same fact twice in one file is two problems: number them in file order (not by
      // line, so unrelated edits keep fingerprints).
      const id = r.key.join("\u0000");
      const n = (occurrences.get(id) ?? 0) + 1;
      occurrences.set(id, n);
      return n === 1 ? r : { ...r, key: [...r.key, String(n)] };
    };
    const remediation =
      "Create a federated credential for the pipeline (issuer https://agent.buildkite.com, subject = the pipeline UUID, audience api://AzureADTokenExchange), log in with `az login --service-principal -u $AZURE_CLIENT_ID -t $AZURE_TENANT_ID --federated-token \"$(buildkite-agent oidc request-token --audience api://AzureADTokenExchange)\"`, then delete the client secret from the app registration and from Buildkite.";
    const files = [...repo.repo.scripts, ...repo.inline.values()];
    for (const facts of files) {
      for (const l of facts.azLogins) {
        if (l.method !== "password") continue;
        const r = emit({
          message: `\`az login\` uses a client secret (--password) at ${at(l)}.`,
          location: { file: l.file, line: l.line },
          // Only a variable's name is shown: a literal here would be the secret itself.
          evidence: [
            `az login with --password ${varName(l.password) ? `$${varName(l.password)}` : "(a literal value, not shown)"}`,
            ...(l.username ? [`as ${varName(l.username) ? `$${varName(l.username)}` : l.username.raw}`] : []),
          ],
          remediation,
          key: [l.file, "az-login-password", l.username?.raw ?? ""],
        });
        if (r) yield r;
      }
      for (const u of facts.clientSecretUses) {
        if (u.kind === "password-flag") continue; // reported with its login above
        const r = emit({
          message:
            u.kind === "secret-get"
              ? `A client secret is fetched with 'buildkite-agent secret get ${u.name}' at ${at(u)}.`
              : `The client secret variable ${u.name} is ${u.kind === "env-assignment" ? "set" : "used"} at ${at(u)}.`,
          location: { file: u.file, line: u.line },
          evidence: [u.kind === "secret-get" ? `secret '${u.name}' is fetched for an Azure login` : `${u.name} is what the Azure CLI, SDKs and Terraform read as a client secret`],
          remediation,
          key: [u.file, u.kind, u.name],
        });
        if (r) yield r;
      }
    }
    for (const p of repo.repo.pipelines) {
      for (const e of [...p.env, ...p.steps.flatMap((s) => s.env)]) {
        if (!SECRET_ENV.test(e.name)) continue;
        const r = emit({
          message: `The pipeline sets ${e.name} at ${at(e)}: it logs in to Azure with a client secret.`,
          location: { file: e.file, line: e.line },
          evidence: [`env ${e.name} is set in ${e.file}`],
          remediation,
          key: [e.file, "env", e.name],
        });
        if (r) yield r;
      }
      for (const s of p.steps.flatMap((x) => x.secrets)) {
        if (!SECRET_ENV.test(s.env) && !/client[-_]?secret/i.test(s.secret)) continue;
        const r = emit({
          message: `The step reads the Buildkite secret '${s.secret}' into ${s.env} at ${at(s)}: a client-secret login.`,
          location: { file: s.file, line: s.line },
          evidence: [`secrets: ${s.env} ← ${s.secret}`],
          remediation,
          key: [s.file, "secrets", s.env, s.secret],
        });
        if (r) yield r;
      }
    }
  },
};
