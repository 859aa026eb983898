import { at, type Located, type RelatedLocation, type Rule, type RuleResult, type ShellFacts } from "@trustscope/core";

const SECRET_ENV = /^(AZURE|ARM)_CLIENT_SECRET$/;
/** Related places listed per finding (a pipeline of 3,000 steps has as many). */
const MAX_RELATED = 20;

/** The variable a value reads (`$X`, `${X}`, and `$$X` from pipeline YAML), if it is one. */
function varName(v: { raw: string; variable?: string } | undefined): string | undefined {
  if (!v) return undefined;
  if (v.variable) return v.variable;
  return /^["']?\$\$?\{?([A-Za-z_][A-Za-z0-9_]*)\}?["']?$/.exec(v.raw.trim())?.[1];
}

/**
 * One place a client secret shows: where it is defined (pipeline or step env, a step's
 * `secrets:`, a script's `export`, `secret get`) or used. `name` is the variable that carries it;
 * `units` are where it sits (`step:`, `pipe:`, `script:` and the steps that run the script), so a
 * secret defined in a step for a login in the script it runs is one problem.
 */
interface SecretFact extends Located {
  name: string;
  /** Lower is a better place to point at when there is no login: the definition before its uses. */
  rank: number;
  what: string;
  message: string;
  units: string[];
}

const REMEDIATION =
  "Create a federated credential for the pipeline (issuer https://agent.buildkite.com, subject = the pipeline UUID, audience api://AzureADTokenExchange), log in with `az login --service-principal -u $AZURE_CLIENT_ID -t $AZURE_TENANT_ID --federated-token \"$(buildkite-agent oidc request-token --audience api://AzureADTokenExchange)\"`, then delete the client secret from the app registration and from Buildkite.";
/** azd (1.18 or later) reads the token from AZURE_OIDC_TOKEN at login and again in each later azd command of the step. */
const AZD_REMEDIATION =
  "Create a federated credential for the pipeline (issuer https://agent.buildkite.com, subject = the pipeline UUID, audience api://AzureADTokenExchange), log in with `export AZURE_OIDC_TOKEN=\"$(buildkite-agent oidc request-token --audience api://AzureADTokenExchange)\"` and `azd auth login --client-id \"$AZURE_CLIENT_ID\" --tenant-id \"$AZURE_TENANT_ID\" --federated-credential-provider oidc` (azd 1.18 or later), then delete the client secret from the app registration and from Buildkite.";
/** The same advice for a GitHub Actions workflow: GitHub's OIDC token, its subject, its login steps. */
const GITHUB_REMEDIATION =
  "Create a federated credential for the repository (issuer https://token.actions.githubusercontent.com, subject repo:OWNER/REPO:environment:NAME for a protected environment, audience api://AzureADTokenExchange), give the job `permissions: { id-token: write }`, log in with `azure/login` and `client-id`/`tenant-id` (no `creds`), then delete the client secret from the app registration and from the repository's secrets.";
const GITHUB_AZD_REMEDIATION =
  "Create a federated credential for the repository (issuer https://token.actions.githubusercontent.com, subject repo:OWNER/REPO:environment:NAME for a protected environment, audience api://AzureADTokenExchange), give the job `permissions: { id-token: write }`, log in with `azd auth login --client-id \"$AZURE_CLIENT_ID\" --tenant-id \"$AZURE_TENANT_ID\" --federated-credential-provider github`, then delete the client secret from the app registration and from the repository's secrets.";
/** A GitHub Actions workflow file: its fix is GitHub's OIDC, not Buildkite's. */
const isWorkflow = (file: string) => /^(?:.*\/)?\.github\/workflows\/[^/]+\.ya?ml$/.test(file);
const remediationFor = (file: string, command: string | undefined) =>
  command?.startsWith("azd ") ? (isWorkflow(file) ? GITHUB_AZD_REMEDIATION : AZD_REMEDIATION) : isWorkflow(file) ? GITHUB_REMEDIATION : REMEDIATION;
/** The flag that carries the secret, for the commands that take it as one (Connect-AzAccount takes a PSCredential). */
const SECRET_FLAG: Record<string, string> = { "az login": "--password", "azd auth login": "--client-secret", "azd login": "--client-secret", "azure/login": "creds" };

/** What the PowerShell reader records for a secret that is not one variable (its REDACTED, not exported by core). */
const PS_REDACTED = "***";

/** How a secret that is not a variable shows in evidence: never its text. */
function notShown(raw: string | undefined): string {
  if (raw === undefined) return "(no value given)";
  if (raw === PS_REDACTED) return "(a value not shown)";
  // `"$(cat secret.txt)"`, `$($info.clientSecret)`: computed, not written in the file
  return /[$`]/.test(raw) ? "(an expression, not shown)" : "(a literal value, not shown)";
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
    // Where a fact sits, for joining a login to its secret: the step (inline commands, step env
    // and secrets), the pipeline (pipeline env) or the script, and the steps that run the script.
    const pipelineOf = new Map<string, string>();
    for (const p of repo.repo.pipelines) for (const st of p.steps) pipelineOf.set(`step:${st.file}:${st.line}`, `pipe:${p.file}`);
    const scriptUnits = (file: string): string[] => [`script:${file}`, ...(repo.callers.get(file) ?? []).map((st) => `step:${st.file}:${st.line}`)];
    const pipesOf = (units: string[]): string[] => [...new Set(units.map((u) => (u.startsWith("pipe:") ? u : pipelineOf.get(u) ?? u)))];

    // Every place a secret shows, and every login with one.
    const facts: SecretFact[] = [];
    const logins: (Located & { command: string; password: string | undefined; passwordRaw: string | undefined; username: { raw: string; variable?: string } | undefined; units: string[] })[] = [];
    const fromShell = (sf: (typeof repo.repo.scripts)[number] | ShellFacts, units: string[]) => {
      for (const l of sf.azLogins) if (l.method === "password") logins.push({ file: l.file, line: l.line, command: l.command ?? "az login", password: varName(l.password), passwordRaw: l.password?.raw, username: l.username, units });
      // The variable a `secret get` on this line is assigned to names it.
      const assigned = new Map(sf.clientSecretUses.filter((u) => u.kind === "env-assignment").map((u) => [at(u), u.name]));
      for (const u of sf.clientSecretUses) {
        if (u.kind === "password-flag") continue; // part of its login
        const name = u.kind === "secret-get" ? (assigned.get(at(u)) ?? `secret ${u.name}`) : u.name;
        const base = { file: u.file, line: u.line, name, units };
        if (u.kind === "secret-get") facts.push({ ...base, rank: 3, what: `'buildkite-agent secret get ${u.name}'`, message: `A client secret is fetched with 'buildkite-agent secret get ${u.name}' at ${at(u)}.` });
        else if (u.kind === "env-assignment") facts.push({ ...base, rank: 2, what: `${u.name} is set`, message: `The client secret variable ${u.name} is set at ${at(u)}.` });
        else facts.push({ ...base, rank: 4, what: `${u.name} is used`, message: `The client secret variable ${u.name} is used at ${at(u)}.` });
      }
    };
    for (const sf of repo.repo.scripts) fromShell(sf, scriptUnits(sf.file));
    for (const p of repo.repo.pipelines) {
      for (const e of p.env) {
        if (SECRET_ENV.test(e.name)) facts.push({ file: e.file, line: e.line, name: e.name, units: [`pipe:${p.file}`], rank: 0, what: `env ${e.name}`, message: `The pipeline sets ${e.name} at ${at(e)}: it logs in to Azure with a client secret.` });
      }
      for (const st of p.steps) {
        const unit = [`step:${st.file}:${st.line}`];
        const inline = repo.inline.get(`${p.file}:${st.line}`);
        if (inline) fromShell(inline, unit);
        for (const e of st.env) {
          if (SECRET_ENV.test(e.name)) facts.push({ file: e.file, line: e.line, name: e.name, units: unit, rank: 0, what: `env ${e.name}`, message: `The pipeline sets ${e.name} at ${at(e)}: it logs in to Azure with a client secret.` });
        }
        for (const x of st.secrets) {
          if (!SECRET_ENV.test(x.env) && !/client[-_]?secret/i.test(x.secret)) continue;
          facts.push({ file: x.file, line: x.line, name: x.env, units: unit, rank: 1, what: `secrets: ${x.env} ← ${x.secret}`, message: `The step reads the Buildkite secret '${x.secret}' into ${x.env} at ${at(x)}: a client-secret login.` });
        }
      }
    }
    // A login sees its own place, the steps that run it, and their pipelines' env.
    const reach = (units: string[]) => new Set([...units, ...pipesOf(units)]);

    const related = (f: SecretFact): RelatedLocation => ({ file: f.file, line: f.line, message: f.what });
    const consumed = new Set<SecretFact>();
    const occurrences = new Map<string, number>();
    /** The same fact twice in one file is two problems: number them in file order (not by line, so unrelated edits keep fingerprints). */
    const numbered = (key: string[]) => {
      const id = key.join("\u0000");
      const n = (occurrences.get(id) ?? 0) + 1;
      occurrences.set(id, n);
      return n === 1 ? key : [...key, String(n)];
    };
    const seen = new Set<string>();
    const results: RuleResult[] = [];

    // Facts by variable and by place, so that joining stays linear in a pipeline of 3,000 steps.
    const byNameAndUnit = new Map<string, SecretFact[]>();
    for (const f of facts) {
      for (const u of f.units) {
        const k = `${f.name}\u0000${u}`;
        const list = byNameAndUnit.get(k);
        if (list) list.push(f);
        else byNameAndUnit.set(k, [f]);
      }
    }

    // A login is the problem; where its secret comes from and where else it is used are evidence.
    for (const l of logins.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line))) {
      if (seen.has(at(l))) continue;
      seen.add(at(l));
      const sees = reach(l.units);
      const found = new Set<SecretFact>();
      if (l.password !== undefined) for (const u of sees) for (const f of byNameAndUnit.get(`${l.password}\u0000${u}`) ?? []) if (f.file !== l.file || f.line !== l.line) found.add(f);
      const mine = [...found].sort((a, b) => a.rank - b.rank || (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line));
      for (const f of mine) consumed.add(f);
      const user = varName(l.username);
      const flag = SECRET_FLAG[l.command];
      results.push({
        message: flag ? `\`${l.command}\` uses a client secret (${flag}) at ${at(l)}.` : `\`${l.command}\` logs in with a client secret at ${at(l)}.`,
        location: { file: l.file, line: l.line },
        ...(mine.length ? { relatedLocations: mine.slice(0, MAX_RELATED).map(related) } : {}),
        // Only a variable's name is shown: a literal here would be the secret itself.
        evidence: [
          `${l.command} with ${flag ?? "a secret from"} ${l.password ? `$${l.password}` : notShown(l.passwordRaw)}`,
          ...(l.username ? [`as ${user ? `$${user}` : l.username.raw}`] : []),
          ...mine.slice(0, MAX_RELATED).map((f) => `${f.what} at ${at(f)}`),
          ...(mine.length > MAX_RELATED ? [`and ${mine.length - MAX_RELATED} more`] : []),
        ],
        remediation: remediationFor(l.file, l.command),
        // one key kind for every command, so that fingerprints do not change
        key: numbered([l.file, "az-login-password", l.username?.raw ?? ""]),
      });
    }

    // A secret with no explicit login is read by the CLI, SDKs or Terraform: one finding per
    // variable and pipeline, at its definition, with the other places as evidence.
    const rest = facts.filter((f) => !consumed.has(f) && !seen.has(at(f))).sort((a, b) => a.rank - b.rank || (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line));
    // Groups in order of their best fact (rest is sorted): one per variable and pipeline.
    const groups = new Map<string, SecretFact[]>();
    for (const f of rest) {
      const pipes = pipesOf(f.units);
      const k = pipes.map((u) => `${f.name}\u0000${u}`).find((x) => groups.has(x)) ?? `${f.name}\u0000${pipes[0] ?? f.file}`;
      const list = groups.get(k);
      if (list) list.push(f);
      else groups.set(k, [f]);
    }
    for (const group of groups.values()) {
      const f = group[0]!;
      const pipes = pipesOf(f.units);
      const others = group.filter((g) => g !== f && at(g) !== at(f));
      results.push({
        message: f.message,
        location: { file: f.file, line: f.line },
        ...(others.length ? { relatedLocations: others.slice(0, MAX_RELATED).map(related) } : {}),
        evidence: [
          f.rank === 3 ? `secret fetched for an Azure login` : f.rank <= 1 ? `${f.what} in ${f.file}` : `${f.name} is what the Azure CLI, SDKs and Terraform read as a client secret`,
          ...others.slice(0, MAX_RELATED).map((g) => `${g.what} at ${at(g)}`),
          ...(others.length > MAX_RELATED ? [`and ${others.length - MAX_RELATED} more`] : []),
        ],
        remediation: remediationFor(f.file, undefined),
        key: numbered([pipes[0] ?? f.file, "client-secret", f.name]),
      });
    }
    yield* results;
  },
};
