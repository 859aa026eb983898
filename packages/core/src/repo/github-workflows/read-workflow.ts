/**
 * Reads a GitHub Actions workflow file (`.github/workflows/*.yml`) into facts with line numbers:
 * triggers, permissions (and so whether each job may request an OIDC token), environments, and the
 * steps that log in to Azure with an OIDC token or check out a pull request's code. Like the
 * Buildkite reader: the YAML is guarded (size, nesting, aliases), anything unexpected is a
 * diagnostic at its line, and nothing throws.
 */
import { isMap, isScalar, isSeq, LineCounter, parseDocument, visit, type Node, type Pair } from "yaml";
import type { Diagnostic, EnvEntry, GitHubAzureLogin, GitHubCheckout, GitHubJob, GitHubPermissions, GitHubTrigger, GitHubValue, GitHubWorkflowFile, ShellFacts, ValueRef } from "../../model/repo.ts";
import { diag, errorLine, get, key, lineOf, pairs, scalarText } from "../yaml-nodes.ts";
import { emptyShellFacts } from "../script-facts.ts";
import { MAX_YAML_NESTING, yamlErrorReason, yamlTooDeepAt } from "../../util/yaml-guard.ts";
import { resolveAliases } from "../pipeline/yaml-aliases.ts";
import { readPowerShell } from "../powershell/read-powershell.ts";
import { readShell } from "../shell/read-shell.ts";

interface Ctx {
  file: string;
  lines: LineCounter;
  diagnostics: Diagnostic[];
  origins?: WeakMap<object, number>;
  /** The facts of every `run:` step read, merged (see GitHubWorkflowFile.runFacts). */
  runFacts?: ShellFacts;
}

/** Appends every list of `from` to `to`'s (facts keep their own lines). */
function mergeFacts(to: ShellFacts, from: ShellFacts): void {
  for (const key of Object.keys(to) as (keyof ShellFacts)[]) (to[key] as unknown[]).push(...(from[key] as unknown[]));
}

function keyNode(node: unknown, name: string): unknown {
  return pairs(node).find((x) => key(x) === name)?.key;
}

/**
 * A diagnostic for each key of `node` that is not a plain name, and for each name written twice:
 * GitHub rejects both ("'X' is already defined"), and this reader, which takes the first of a
 * duplicate, would otherwise read a workflow GitHub never runs without saying so.
 */
/** The keys of a workflow and of a job whose values this reader judges by (the others, `name`, `concurrency`, …, it does not read). */
const WORKFLOW_KEYS_READ: ReadonlySet<string> = new Set(["on", "permissions", "env", "defaults", "jobs"]);
const JOB_KEYS_READ: ReadonlySet<string> = new Set(["permissions", "environment", "steps", "uses", "with", "secrets", "if", "runs-on", "needs", "env", "defaults"]);

/**
 * Keys that are not names, and keys given twice. A key twice is a gap where its value is read
 * (which one GitHub takes decides what is judged), a note where it is not (a second `name:`).
 */
function checkKeys(ctx: Ctx, node: unknown, where: string, keysRead?: ReadonlySet<string>): void {
  const seen = new Set<string>();
  for (const p of pairs(node)) {
    if (!isScalar(p.key) || p.key.value === null || typeof p.key.value === "object") {
      diag(ctx, p.key ?? node, `a key in ${where} must be a name; not read`);
      continue;
    }
    const k = key(p);
    if (seen.has(k) && keysRead && !keysRead.has(k)) {
      ctx.diagnostics.push({ file: ctx.file, line: lineOf(ctx, p.key), message: `'${k.slice(0, 60)}' is defined twice in ${where}, which YAML does not allow; trustscope does not read it`, note: true, kind: "duplicate-key" });
    } else if (seen.has(k)) diag(ctx, p.key, `'${k.slice(0, 60)}' is defined twice in ${where}, which GitHub Actions rejects; only the first is read`);
    seen.add(k);
  }
}

/** The pairs of `node` whose keys are plain names (checkKeys reports the others). */
function namedPairs(node: unknown): Pair[] {
  return pairs(node).filter((p) => isScalar(p.key) && p.key.value !== null && typeof p.key.value !== "object");
}

function isEmpty(node: unknown): boolean {
  return node === undefined || node === null || (isScalar(node) && node.value === null);
}

function stringList(node: unknown): string[] {
  if (isSeq(node)) return node.items.map((i) => scalarText(i)).filter((s): s is string => s !== undefined);
  const s = scalarText(node);
  return s === undefined ? [] : [s];
}

/** Any node as text: a scalar's value, else its JSON. */
function textOf(node: unknown): string {
  const s = scalarText(node);
  if (s !== undefined) return s;
  if (isEmpty(node)) return "";
  return JSON.stringify((node as Node).toJSON?.() ?? null);
}

// ---------------------------------------------------------------------------------------------
// Values

const WHOLE_EXPRESSION = /^\$\{\{\s*([A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)+)\s*\}\}$/;

/** A `with:` or `env:` value: literal, one `${{ ctx.NAME }}`, or another expression (raw only). */
export function githubValue(raw: string): GitHubValue {
  const text = raw.trim();
  if (!text.includes("${{")) return { raw, literal: text };
  const m = WHOLE_EXPRESSION.exec(text);
  return m ? { raw, variable: m[1]! } : { raw };
}

/** Env layers nearest first: step, job, workflow. */
type EnvLayers = EnvEntry[][];

function lookupEnv(name: string, layers: EnvLayers): EnvEntry | undefined {
  for (const layer of layers) {
    const hit = [...layer].reverse().find((e) => e.name === name);
    if (hit) return hit;
  }
  return undefined;
}

/** `env.X` values resolved through the env layers (one level: what X is set to, as written). */
function withResolved(v: GitHubValue, layers: EnvLayers): GitHubValue {
  if (!v.variable?.startsWith("env.")) return v;
  const hit = lookupEnv(v.variable.slice(4), layers);
  if (!hit) return v;
  const inner = githubValue(hit.value);
  return {
    ...v,
    resolved: { raw: hit.value, ...(inner.literal !== undefined ? { literal: inner.literal } : {}), ...(inner.variable ? { variable: inner.variable } : {}), at: { file: hit.file, line: hit.line } },
  };
}

// ---------------------------------------------------------------------------------------------
// Triggers and permissions

const TRIGGER_FILTERS = ["branches", "branches-ignore", "tags", "tags-ignore", "types", "workflows"] as const;
const FILTER_FIELD = { branches: "branches", "branches-ignore": "branchesIgnore", tags: "tags", "tags-ignore": "tagsIgnore", types: "types", workflows: "workflows" } as const;

function readTriggers(ctx: Ctx, node: unknown): GitHubTrigger[] {
  const at = (n: unknown) => ({ file: ctx.file, line: lineOf(ctx, n) });
  if (isEmpty(node)) return [];
  const s = scalarText(node);
  if (s !== undefined) return [{ ...at(node), event: s }];
  if (isSeq(node)) {
    return node.items.flatMap((i) => {
      const e = scalarText(i);
      if (e === undefined) {
        diag(ctx, i, "an event in 'on:' must be a name");
        return [];
      }
      return [{ ...at(i), event: e }];
    });
  }
  if (!isMap(node)) {
    diag(ctx, node, "'on:' must be an event name, a list of names or a mapping");
    return [];
  }
  checkKeys(ctx, node, "'on:'");
  return namedPairs(node).map((p) => {
    const t: GitHubTrigger = { ...at(p.key), event: key(p) };
    for (const f of TRIGGER_FILTERS) {
      const v = get(p.value, f);
      if (v === undefined) continue;
      // A mapping here filters nothing GitHub knows of: read as no filter (any ref), and said.
      if (!isSeq(v) && !isScalar(v)) diag(ctx, v, `'${f}' of '${t.event}' must be a name or a list of names; read as no filter`);
      t[FILTER_FIELD[f]] = stringList(v);
    }
    return t;
  });
}

function readPermissions(ctx: Ctx, node: unknown, keyAt: unknown): GitHubPermissions | undefined {
  if (node === undefined) return undefined;
  const base = { file: ctx.file, line: lineOf(ctx, keyAt ?? node) };
  const s = scalarText(node);
  if (s === "write-all" || s === "read-all") return { ...base, kind: s, scopes: {} };
  if (isMap(node)) return { ...base, kind: "map", scopes: Object.fromEntries(pairs(node).map((p) => [key(p), scalarText(p.value) ?? ""])) };
  // `permissions:` with nothing under it is null: GitHub reads that as no permission at all.
  if (isEmpty(node)) return { ...base, kind: "map", scopes: {} };
  diag(ctx, node, `permissions must be write-all, read-all or a mapping of scopes (found ${JSON.stringify(textOf(node)).slice(0, 60)})`);
  return { ...base, kind: "other", scopes: {} };
}

/** Whether these permissions grant `id-token: write`. */
export function grantsIdToken(p: GitHubPermissions): boolean {
  return p.kind === "write-all" || (p.kind === "map" && p.scopes["id-token"] === "write");
}

function readEnv(ctx: Ctx, node: unknown): EnvEntry[] {
  if (isEmpty(node)) return [];
  if (!isMap(node)) {
    // `env: ${{ fromJSON(…) }}` is allowed at job level: its names are known only at run time.
    if (!/\$\{\{/.test(scalarText(node) ?? "")) diag(ctx, node, "env must be a mapping of names to values");
    return [];
  }
  return pairs(node).map((p) => {
    const from = isScalar(p.key) || isMap(p.key) ? ctx.origins?.get(p.key as object) : undefined;
    return { file: ctx.file, line: lineOf(ctx, p.key), name: key(p), value: textOf(p.value), ...(from !== undefined ? { fromAnchor: ctx.lines.linePos(from).line } : {}) };
  });
}

// ---------------------------------------------------------------------------------------------
// Steps

/** A `ref:`/`repository:` (or a `run:` line) that names the pull request's own code. */
const PR_HEAD = /github\.event\.pull_request\.head\.(sha|ref|repo)|github\.head_ref|refs\/pull\/|github\.event\.workflow_run\.head_(sha|branch|commit|repository)|github\.event\.issue\.pull_request|github\.event\.pull_request\.merge_commit_sha/;
/** Commands in a `run:` step that fetch a pull request's code. */
/**
 * Whether a `run:` text fetches or checks out the pull request's code. Line by line, each tail
 * searched once from the command's first occurrence: one regex with `[^\n]*` between the two
 * parts is quadratic on a long hostile line.
 */
function runFetchesPullRequest(run: string): boolean {
  for (const line of run.split("\n")) {
    if (/\bgh\s+pr\s+checkout\b/.test(line)) return true;
    const fetch = /\bgit\s+(?:fetch|pull)\b/.exec(line);
    if (fetch && /\b(?:pull\/|refs\/pull\/)/.test(line.slice(fetch.index))) return true;
    const checkout = /\bgit\s+checkout\b/.exec(line);
    if (checkout && /\$\{\{\s*github\.(?:head_ref|event\.pull_request\.head)/.test(line.slice(checkout.index))) return true;
  }
  return false;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export { GUID as GUID_PATTERN };

/** The action a `uses:` names, lower-cased, without its version (`azure/login`). */
export function actionName(uses: string): string {
  return uses.trim().replace(/@.*$/, "").toLowerCase();
}

/** The shell a `run:` step runs in, from the step, the job's or workflow's `defaults.run.shell`, or the runner. */
function shellOf(step: unknown, jobDefault: string | undefined, workflowDefault: string | undefined, runsOn: string[]): "sh" | "pwsh" | "other" {
  const written = scalarText(get(step, "shell")) ?? jobDefault ?? workflowDefault;
  if (written === undefined) return runsOn.some((r) => /windows/i.test(r)) ? "pwsh" : "sh";
  const first = written.trim().split(/\s+/)[0]!.toLowerCase();
  if (["bash", "sh"].includes(first) || /\/(ba)?sh$/.test(first)) return "sh";
  if (["pwsh", "powershell"].includes(first)) return "pwsh";
  return "other";
}

/**
 * The expressions in a `run:` text replaced by words of the same line count, so the shell reader
 * sees what the shell will (GitHub substitutes them first), and the map back to the originals.
 */
function maskExpressions(text: string, shell: "sh" | "pwsh"): { text: string; originals: Map<string, string> } {
  const originals = new Map<string, string>();
  let n = 0;
  // An expression spanning lines is one value once substituted: its line breaks become line
  // continuations before the word, which keep the line count (the facts after it keep their
  // lines) without ending the command it stands in.
  const continuation = shell === "pwsh" ? "`\n" : "\\\n";
  // indexOf, not /\$\{\{[^]*?\}\}/g: that regex rescans to the end from every unclosed `${{`
  // (quadratic); once no `}}` follows one, none follows a later one either.
  let masked = "";
  let from = 0;
  for (let start = text.indexOf("${{"); start !== -1; start = text.indexOf("${{", from)) {
    const end = text.indexOf("}}", start + 3);
    if (end === -1) break;
    const m = text.slice(start, end + 2);
    const word = `__GHEXPR${n++}__`;
    originals.set(word, m);
    masked += text.slice(from, start) + continuation.repeat((m.match(/\n/g) ?? []).length) + word;
    from = end + 2;
  }
  return { text: masked + text.slice(from), originals };
}

/** A shell ValueRef from a masked text as a workflow value (`$X` → `env.X`). */
function unmask(ref: ValueRef | undefined, originals: Map<string, string>, layers: EnvLayers): GitHubValue | undefined {
  if (!ref) return undefined;
  const restore = (s: string) => s.replace(/__GHEXPR\d+__/g, (w) => originals.get(w) ?? w);
  if (ref.literal !== undefined) {
    const raw = restore(ref.raw);
    const lit = restore(ref.literal);
    return lit.includes("${{") ? { ...githubValue(lit), raw } : { raw, literal: lit };
  }
  if (ref.variable) return withResolved({ raw: restore(ref.raw), variable: `env.${ref.variable}` }, layers);
  return { raw: restore(ref.raw) };
}

interface JobCtx {
  workflowEnv: EnvEntry[];
  jobEnv: EnvEntry[];
  runsOn: string[];
  jobShell?: string;
  workflowShell?: string;
}

function readSteps(ctx: Ctx, node: unknown, j: JobCtx, logins: GitHubAzureLogin[], checkouts: GitHubCheckout[]): number {
  if (isEmpty(node)) return 0;
  if (!isSeq(node)) {
    diag(ctx, node, "steps must be a list");
    return 0;
  }
  node.items.forEach((item, index) => {
    if (!isMap(item)) {
      diag(ctx, item, "a step must be a mapping");
      return;
    }
    const line = lineOf(ctx, item);
    const stepEnv = readEnv(ctx, get(item, "env"));
    const layers: EnvLayers = [stepEnv, j.jobEnv, j.workflowEnv];
    const id = scalarText(get(item, "id"));
    const name = scalarText(get(item, "name"));
    const cond = scalarText(get(item, "if"));
    const base = { file: ctx.file, line, step: index, ...(id ? { stepId: id } : {}), ...(name ? { stepName: name } : {}), ...(cond !== undefined ? { if: cond } : {}) };
    const uses = scalarText(get(item, "uses"));
    const w = get(item, "with");
    const input = (k: string): GitHubValue | undefined => {
      const n = get(w, k);
      return n === undefined || isEmpty(n) ? undefined : withResolved(githubValue(textOf(n)), layers);
    };
    if (uses !== undefined) {
      const action = actionName(uses);
      if (action === "azure/login") {
        // `creds:` is a client secret in JSON, and `auth-type: IDENTITY` a managed identity: not OIDC.
        const authType = input("auth-type")?.literal?.toUpperCase();
        const creds = input("creds");
        // A service principal's secret in JSON: a client-secret login, filed with the run steps' facts
        // so client-secret-login judges it as it judges `az login --password`.
        if (creds !== undefined) {
          const facts = (ctx.runFacts ??= emptyShellFacts());
          facts.azLogins.push({ file: ctx.file, line, method: "password", command: "azure/login", password: { raw: creds.raw } });
        }
        if (creds === undefined && authType !== "IDENTITY") {
          const login: GitHubAzureLogin = { ...base, kind: "azure-login-action", uses };
          const fields = [["client-id", "clientId"], ["tenant-id", "tenantId"], ["subscription-id", "subscriptionId"], ["audience", "audience"], ["allow-no-subscriptions", "allowNoSubscriptions"]] as const;
          for (const [k, f] of fields) {
            const v = input(k);
            if (v) login[f] = v;
          }
          // Without client-id azure/login reads AZURE_CLIENT_ID from the environment.
          if (!login.clientId) {
            const env = lookupEnv("AZURE_CLIENT_ID", layers);
            if (env) login.clientId = withResolved({ raw: "$AZURE_CLIENT_ID", variable: "env.AZURE_CLIENT_ID" }, layers);
          }
          logins.push(login);
        }
      } else if (action === "actions/checkout") {
        const ref = input("ref")?.raw;
        const repository = input("repository")?.raw;
        checkouts.push({ file: ctx.file, line, step: index, uses, ...(ref !== undefined ? { ref } : {}), ...(repository !== undefined ? { repository } : {}), pullRequestHead: PR_HEAD.test(`${ref ?? ""} ${repository ?? ""}`) });
      }
    }
    const runNode = get(item, "run");
    const run = scalarText(runNode);
    if (run !== undefined) {
      const block = (runNode as { type?: string }).type;
      const first = lineOf(ctx, runNode) + (block === "BLOCK_LITERAL" || block === "BLOCK_FOLDED" ? 1 : 0);
      if (runFetchesPullRequest(run)) checkouts.push({ file: ctx.file, line: first, step: index, uses: "run", pullRequestHead: true });
      // Only text that could log in is read: a workflow's other commands are not this scan's concern.
      if (/\blogin\b|Connect-AzAccount|federated/i.test(run)) {
        const shell = shellOf(item, j.jobShell, j.workflowShell, j.runsOn);
        if (shell !== "other") {
          const { text, originals } = maskExpressions(run, shell);
          const r = shell === "pwsh" ? readPowerShell(text, ctx.file, { firstLine: first }) : readShell(text, ctx.file, { firstLine: first });
          for (const d of r.diagnostics) ctx.diagnostics.push({ ...d, message: d.message.replace(/__GHEXPR\d+__/g, (m) => originals.get(m) ?? m) });
          mergeFacts((ctx.runFacts ??= emptyShellFacts()), r.facts);
          for (const l of r.facts.azLogins) {
            if (l.method !== "federated-token") continue;
            const clientId = unmask(l.username, originals, layers);
            const tenantId = unmask(l.tenant, originals, layers);
            const kind = l.command === "Connect-AzAccount" ? "az-powershell" : l.command?.startsWith("azd") ? "azd" : "az-cli";
            logins.push({ ...base, line: l.line, kind, ...(clientId ? { clientId } : {}), ...(tenantId ? { tenantId } : {}) });
          }
        }
      }
    }
    // Terraform's azurerm provider logs in by OIDC when the step's environment says so.
    const useOidc = stepEnv.find((e) => e.name === "ARM_USE_OIDC");
    if (useOidc && /^true$/i.test(useOidc.value.trim())) logins.push(terraformLogin({ ...base, line: useOidc.line }, layers));
  });
  return node.items.length;
}

function terraformLogin(at: Omit<GitHubAzureLogin, "kind">, layers: EnvLayers): GitHubAzureLogin {
  const value = (name: string) => {
    const hit = lookupEnv(name, layers);
    return hit ? withResolved({ raw: `$${name}`, variable: `env.${name}` }, layers) : undefined;
  };
  const clientId = value("ARM_CLIENT_ID");
  const tenantId = value("ARM_TENANT_ID");
  const subscriptionId = value("ARM_SUBSCRIPTION_ID");
  return { ...at, kind: "terraform-oidc", ...(clientId ? { clientId } : {}), ...(tenantId ? { tenantId } : {}), ...(subscriptionId ? { subscriptionId } : {}) };
}

// ---------------------------------------------------------------------------------------------
// Jobs

function readEnvironment(ctx: Ctx, node: unknown): GitHubJob["environment"] {
  if (isEmpty(node)) return undefined;
  const at = { file: ctx.file, line: lineOf(ctx, node) };
  const s = scalarText(node);
  const name = s ?? scalarText(get(node, "name"));
  if (name === undefined) {
    diag(ctx, node, "environment must be a name or a mapping with 'name'");
    return undefined;
  }
  const url = isMap(node) ? scalarText(get(node, "url")) : undefined;
  return { ...at, name, ...(url !== undefined ? { url } : {}), expression: name.includes("${{") };
}

function readRunsOn(node: unknown): string[] {
  if (isMap(node)) return [...stringList(get(node, "group")).map((g) => `group:${g}`), ...stringList(get(node, "labels"))];
  return stringList(node);
}

function readJob(ctx: Ctx, p: Pair, wf: { env: EnvEntry[]; permissions?: GitHubPermissions; shell?: string; callable: boolean }): GitHubJob | undefined {
  const node = p.value;
  if (!isMap(node)) {
    diag(ctx, node ?? p.key, `job '${key(p)}' must be a mapping`);
    return undefined;
  }
  const id = key(p);
  const line = lineOf(ctx, p.key);
  checkKeys(ctx, node, `job '${id.slice(0, 60)}'`, JOB_KEYS_READ);
  const permissions = readPermissions(ctx, get(node, "permissions"), keyNode(node, "permissions"));
  const decided = permissions ?? wf.permissions;
  const idToken: GitHubJob["idToken"] = decided ? (grantsIdToken(decided) ? "write" : "none") : wf.callable ? "caller" : "none";
  const env = readEnv(ctx, get(node, "env"));
  const runsOn = readRunsOn(get(node, "runs-on"));
  const name = scalarText(get(node, "name"));
  const cond = scalarText(get(node, "if"));
  const uses = scalarText(get(node, "uses"));
  const environment = readEnvironment(ctx, get(node, "environment"));
  const logins: GitHubAzureLogin[] = [];
  const checkouts: GitHubCheckout[] = [];
  const jobShell = scalarText(get(get(get(node, "defaults"), "run"), "shell"));
  const steps = readSteps(ctx, get(node, "steps"), { workflowEnv: wf.env, jobEnv: env, runsOn, ...(jobShell ? { jobShell } : {}), ...(wf.shell ? { workflowShell: wf.shell } : {}) }, logins, checkouts);
  // ARM_USE_OIDC in job or workflow env: every Terraform step of the job logs in by OIDC.
  const layers: EnvLayers = [env, wf.env];
  const useOidc = lookupEnv("ARM_USE_OIDC", layers);
  if (useOidc && /^true$/i.test(useOidc.value.trim()) && !logins.some((l) => l.kind === "terraform-oidc")) logins.push(terraformLogin({ file: useOidc.file, line: useOidc.line }, layers));
  logins.sort((a, b) => a.line - b.line);
  const withNode = get(node, "with");
  const secretsNode = get(node, "secrets");
  const secrets = scalarText(secretsNode) === "inherit" ? ("inherit" as const) : isMap(secretsNode) ? pairs(secretsNode).map(key) : undefined;
  return {
    file: ctx.file,
    line,
    id,
    ...(name !== undefined ? { name } : {}),
    ...(environment ? { environment } : {}),
    ...(cond !== undefined ? { if: cond } : {}),
    runsOn,
    needs: stringList(get(node, "needs")),
    ...(permissions ? { permissions } : {}),
    idToken,
    ...(decided ? { idTokenFrom: { file: decided.file, line: decided.line } } : {}),
    ...(uses !== undefined ? { uses } : {}),
    ...(isMap(withNode) ? { with: Object.fromEntries(pairs(withNode).map((x) => [key(x), textOf(x.value)])) } : {}),
    ...(secrets ? { secrets } : {}),
    env,
    logins,
    checkouts,
    steps,
  };
}

// ---------------------------------------------------------------------------------------------

export interface ReadWorkflowResult {
  workflow?: GitHubWorkflowFile;
  diagnostics: Diagnostic[];
  /** Valid YAML that is not a workflow (no `jobs`): why. It is then not read, and has no diagnostics. */
  notWorkflow?: string;
}

/** Reads one workflow file. Never throws: what it cannot read is a diagnostic with file and line. */
export function readWorkflow(text: string, file: string): ReadWorkflowResult {
  const lines = new LineCounter();
  const ctx: Ctx = { file, lines, diagnostics: [] };
  const deep = yamlTooDeepAt(text);
  if (deep !== undefined) return { diagnostics: [{ file, line: deep, message: `not valid YAML: nested deeper than ${MAX_YAML_NESTING} levels; not read` }] };
  let doc;
  try {
    doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false });
  } catch (e) {
    return { diagnostics: [{ file, line: 1, message: `cannot parse: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}` }] };
  }
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    return { diagnostics: [{ file, line: errorLine(e, lines), message: `not valid YAML: ${yamlErrorReason(e.message)}` }] };
  }
  // GitHub resolves anchors and aliases (since 2025), but not merge keys: it rejects a workflow
  // that uses one. Read it merged all the same (what its author meant), and say so.
  let mergeKey: unknown;
  visit(doc, {
    Pair(_, pair) {
      if (isScalar(pair.key) && pair.key.value === "<<") {
        mergeKey = pair.key;
        return visit.BREAK;
      }
      return undefined;
    },
  });
  const aliases = resolveAliases(doc);
  if ("message" in aliases) return { diagnostics: [{ file, line: lineOf(ctx, aliases.node), message: aliases.message }] };
  ctx.origins = aliases.origins;
  const root = doc.contents;
  if (!isMap(root)) return { diagnostics: [], notWorkflow: "not a mapping" };
  const jobsNode = get(root, "jobs");
  if (jobsNode === undefined) return { diagnostics: [], notWorkflow: "a mapping without 'jobs'" };
  if (mergeKey !== undefined) {
    ctx.diagnostics.push({ file, line: lineOf(ctx, mergeKey), message: "uses a YAML merge key ('<<'), which GitHub Actions does not support (it rejects the workflow); read as if merged", note: true, kind: "yaml-merge-key" });
  }
  // YAML 1.2 (what the parser reads by default, and GitHub too) keeps `on` a string key.
  const onKey = keyNode(root, "on");
  const triggers = readTriggers(ctx, get(root, "on"));
  if (onKey === undefined) diag(ctx, root, "a workflow needs 'on:' (its triggers)");
  const permissions = readPermissions(ctx, get(root, "permissions"), keyNode(root, "permissions"));
  const env = readEnv(ctx, get(root, "env"));
  const shell = scalarText(get(get(get(root, "defaults"), "run"), "shell"));
  const name = scalarText(get(root, "name"));
  const callable = triggers.length > 0 && triggers.every((t) => t.event === "workflow_call");
  const jobs: GitHubJob[] = [];
  checkKeys(ctx, root, "the workflow", WORKFLOW_KEYS_READ);
  if (isMap(jobsNode)) {
    checkKeys(ctx, jobsNode, "'jobs:'");
    for (const p of namedPairs(jobsNode)) {
      const job = readJob(ctx, p, { env, ...(permissions ? { permissions } : {}), ...(shell ? { shell } : {}), callable });
      if (job) jobs.push(job);
    }
  } else if (!isEmpty(jobsNode)) diag(ctx, jobsNode, "jobs must be a mapping of job ids to jobs");
  const workflow: GitHubWorkflowFile = { file, ...(name !== undefined ? { name } : {}), triggers, ...(permissions ? { permissions } : {}), env, jobs, ...(ctx.runFacts ? { runFacts: ctx.runFacts } : {}) };
  return { workflow, diagnostics: ctx.diagnostics };
}

/** The path of a workflow file GitHub runs: directly under `.github/workflows/`, `.yml` or `.yaml`. */
export function isWorkflowPath(path: string): boolean {
  return /^\.github\/workflows\/[^/]+\.ya?ml$/.test(path);
}
