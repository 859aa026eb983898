/**
 * Reads a Terraform plan as `terraform show -json tfplan` prints it into what the configuration
 * declares (see declared.ts), so a plan gives the same findings as the HCL it came from.
 *
 * Values known only after apply are omitted from a change's `after` and marked in
 * `after_unknown`; they are turned back into the refs the HCL reader produces by looking up the
 * resource's expression in the plan's `configuration`, whose `references` name what it was
 * built from. Values marked sensitive are never copied. Pure: bad input gives one diagnostic,
 * never a throw.
 */
import { findNodeAtLocation, getNodeValue, parseTree, printParseErrorCode, type JSONPath, type Node as JsonNode, type ParseError } from "jsonc-parser";
import type { Diagnostic } from "../../model/repo.ts";
import { jsonHazard } from "../../util/json-guard.ts";
import { LineIndex } from "../../util/line-index.ts";
import type { DeclaredConfiguration, DeclaredProvider, DeclaredResource, TfRef, TfValue } from "./declared.ts";

type Obj = Record<string, unknown>;
type Path = (string | number)[];

const SENSITIVE: TfValue = { k: "unknown", raw: "(sensitive value)", why: "sensitive" };
const AFTER_APPLY: TfValue = { k: "unknown", raw: "(known after apply)", why: "known only after apply" };
/** Module outputs that lead to further module outputs are followed this far (a cycle is invalid Terraform, but the input is untrusted). */
const MAX_OUTPUT_HOPS = 16;
/**
 * A plan repeats every value in planned_values, resource_changes and prior_state: a medium
 * configuration's plan is tens of MiB, far past the cap on repository files. Named on the command
 * line, it is read up to this size.
 */
export const MAX_PLAN_BYTES = 64 * 1024 * 1024;
/**
 * Provider arguments whose constant values are secrets. The plan's `configuration` carries
 * constants as written, with no sensitivity marks, so a `client_secret = "…"` would be copied.
 */
const SECRET_SETTING = /secret|password|passphrase|token|private_key|access_key|certificate|sas/i;
const NOT_SECRET_SETTING = /(_path|_file|_url|_id|_env|_enabled)$|^use_/i;

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

export function readTerraformPlan(text: string, file: string): DeclaredConfiguration {
  const out: DeclaredConfiguration = { root: file, source: "plan", resources: [], providers: [], diagnostics: [] };
  try {
    const parsed = parsePlan(text, file);
    if ("gap" in parsed) {
      out.diagnostics.push(parsed.gap);
      return out;
    }
    new PlanReader(parsed.plan, parsed.root, new LineIndex(text), file, out).read();
  } catch (e) {
    // Nothing above should throw; if it does, the scan still gets a located gap, not a crash.
    out.resources = [];
    out.providers = [];
    out.diagnostics = [{ file, line: 1, message: `the plan could not be read (${(e instanceof Error ? e.message : String(e)).split("\n")[0]})` }];
  }
  return out;
}

/** `UnexpectedEndOfString` → `unexpected end of string`. */
function words(code: string): string {
  return code.replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase();
}

function parsePlan(text: string, file: string): { plan: Obj; root: JsonNode } | { gap: Diagnostic } {
  const gap = (line: number, message: string): { gap: Diagnostic } => ({ gap: { file, line, message } });
  if (Buffer.byteLength(text, "utf8") > MAX_PLAN_BYTES) return gap(1, `not read: larger than ${MAX_PLAN_BYTES} bytes`);
  // A byte-order mark is not JSON; a space in its place keeps every offset.
  const src = text.startsWith("\uFEFF") ? ` ${text.slice(1)}` : text;
  const lines = new LineIndex(src);
  // jsonc-parser recurses per nesting level, and `__proto__` keys are refused on principle.
  const hazard = jsonHazard(src, { prototypeKeys: true });
  if (hazard) return gap(lines.lineAt(hazard.offset), `the plan ${hazard.problem}; not read`);
  const errors: ParseError[] = [];
  const root = parseTree(src, errors, { allowTrailingComma: false, disallowComments: true, allowEmptyContent: false });
  if (errors.length > 0 || !root) {
    const e = errors[0];
    return gap(e ? lines.lineAt(e.offset) : 1, `not valid JSON (${e ? words(printParseErrorCode(e.error)) : "empty"})`);
  }
  const plan: unknown = getNodeValue(root);
  const lineOf = (path: JSONPath): number => {
    const node = findNodeAtLocation(root, path);
    return node ? lines.lineAt(node.parent?.type === "property" ? node.parent.offset : node.offset) : 1;
  };
  const notPlan = "not a Terraform plan (terraform show -json output)";
  if (!isObj(plan)) return gap(1, `${notPlan}: the JSON is not an object`);
  const isPlanShaped = "resource_changes" in plan || "planned_values" in plan;
  if ("values" in plan && !isPlanShaped) {
    return gap(1, "a Terraform state (terraform show -json without a plan file), not a plan: write a plan with terraform plan -out=tfplan and pass terraform show -json tfplan");
  }
  if (typeof plan.format_version !== "string") return gap(1, `${notPlan}: format_version is missing`);
  // A plan with nothing in it has no resource_changes (Terraform omits the empty list); planned_values is always there.
  if (!isPlanShaped) return gap(1, `${notPlan}: resource_changes is missing`);
  if ("resource_changes" in plan && !Array.isArray(plan.resource_changes)) return gap(lineOf(["resource_changes"]), `${notPlan}: resource_changes is not a list`);
  // The documented contract: minor versions only add, a new major version may change anything.
  const major = /^(\d+)\./.exec(plan.format_version)?.[1];
  if (major !== "0" && major !== "1") return gap(lineOf(["format_version"]), `plan format_version ${JSON.stringify(plan.format_version)} is not supported (this trustscope reads 0.x and 1.x)`);
  if (plan.errored === true) return gap(lineOf(["errored"]), "the plan errored (terraform plan failed, so its changes are incomplete); not read");
  return { plan, root };
}

interface ConfigModule {
  /** By `TYPE.NAME` or `data.TYPE.NAME`. */
  resources: Map<string, Obj>;
  /** Output name → its expression's references. */
  outputs: Map<string, string[]>;
  /** For a child module: its call's input expressions (`var.x` inside it is what these say). */
  inputs?: Obj;
}

interface StateData {
  resource: Obj;
  /** JSON path of the resource in the plan, for its line. */
  path: Path;
  scope: Scope;
}

interface Instance {
  address: string;
  index: unknown;
}

/** A reference string from the configuration, taken apart. */
type ParsedRef =
  /** `base` is `TYPE.NAME` or `data.TYPE.NAME`; `index` the bracket text as written; `attribute` "" for the bare resource. */
  | { kind: "resource"; base: string; index?: string; attribute: string }
  | { kind: "module"; call: string; index?: string; output: string; rest: string }
  | { kind: "each-value"; attribute: string }
  /** `var.NAME`: a root variable's value, or in a module what its call passes. */
  | { kind: "var"; name: string }
  | { kind: "other" };

/** Where a resource sits: `prefix` is its module address with keys and a trailing dot (`module.ci["a"].`), `moduleKey` the same without keys (config lookups). */
interface Scope {
  prefix: string;
  moduleKey: string;
}

class PlanReader {
  private readonly modules = new Map<string, ConfigModule>();
  /** Instances by base address (module prefix with keys + `TYPE.NAME`), to pick the instance a reference means. */
  private readonly instances = new Map<string, Instance[]>();
  private readonly secrets: Secrets;

  constructor(
    private readonly plan: Obj,
    private readonly root: JsonNode,
    private readonly lines: LineIndex,
    private readonly file: string,
    private readonly out: DeclaredConfiguration,
  ) {
    this.secrets = collectSecrets(plan);
  }

  read(): void {
    const config = isObj(this.plan.configuration) ? this.plan.configuration : {};
    if (isObj(config.root_module)) this.indexModule(config.root_module, "");
    const changes = Array.isArray(this.plan.resource_changes) ? this.plan.resource_changes : [];
    const data = this.priorStateData();
    for (const c of changes) {
      if (isObj(c) && isObj(c.change) && !onlyRemoves(c.change.actions)) this.addInstance(c, scopeOf(str(c.module_address)));
    }
    for (const d of data) this.addInstance(d.resource, d.scope);

    const seen = new Set<string>();
    changes.forEach((c, i) => {
      const r = isObj(c) ? this.fromChange(c, i) : undefined;
      if (r === null) return;
      if (!r) {
        this.gap(this.lineOf(["resource_changes", i]), `resource_changes[${i}] has no address, type or name; skipped`);
        return;
      }
      seen.add(r.address);
      this.out.resources.push(r);
    });
    for (const d of data) {
      const r = this.fromState(d);
      if (r && !seen.has(r.address)) {
        seen.add(r.address);
        this.out.resources.push(r);
      }
    }
    if (isObj(config.provider_config)) {
      for (const [key, pc] of Object.entries(config.provider_config)) if (isObj(pc)) this.out.providers.push(this.provider(key, pc));
    }
    const deferred = this.plan.deferred_changes;
    if (Array.isArray(deferred) && deferred.length > 0) {
      this.gap(this.lineOf(["deferred_changes"]), `${deferred.length} resource change(s) were deferred by Terraform and are not in this plan`);
    }
  }

  private gap(line: number, message: string): void {
    this.out.diagnostics.push({ file: this.file, line, message });
  }

  private lineOf(path: JSONPath): number {
    const node = findNodeAtLocation(this.root, path);
    return node ? this.lines.lineAt(node.parent?.type === "property" ? node.parent.offset : node.offset) : 1;
  }

  private indexModule(m: Obj, key: string, inputs?: Obj): void {
    const mod: ConfigModule = { resources: new Map(), outputs: new Map(), ...(inputs ? { inputs } : {}) };
    this.modules.set(key, mod);
    for (const r of Array.isArray(m.resources) ? m.resources : []) {
      if (!isObj(r) || typeof r.type !== "string" || typeof r.name !== "string") continue;
      mod.resources.set(`${r.mode === "data" ? "data." : ""}${r.type}.${r.name}`, r);
    }
    if (isObj(m.outputs)) {
      for (const [name, o] of Object.entries(m.outputs)) {
        const refs = isObj(o) && isObj(o.expression) ? referencesOf(o.expression) : [];
        mod.outputs.set(name, refs);
      }
    }
    if (isObj(m.module_calls)) {
      for (const [name, call] of Object.entries(m.module_calls)) {
        if (isObj(call) && isObj(call.module)) this.indexModule(call.module, `${key ? `${key}.` : ""}module.${name}`, isObj(call.expressions) ? call.expressions : {});
      }
    }
  }

  /** Data sources read while planning, from `prior_state` (root module and child modules). */
  private priorStateData(): StateData[] {
    const found: StateData[] = [];
    const prior = this.plan.prior_state;
    if (!isObj(prior) || !isObj(prior.values) || !isObj(prior.values.root_module)) return found;
    // State resources carry no module_address: their module is the enclosing child module's `address`.
    const walk = (m: Obj, path: Path, module: string): void => {
      if (Array.isArray(m.resources)) {
        m.resources.forEach((r, i) => {
          if (isObj(r) && r.mode === "data") found.push({ resource: r, path: [...path, "resources", i], scope: scopeOf(module) });
        });
      }
      if (Array.isArray(m.child_modules)) m.child_modules.forEach((c, i) => isObj(c) && walk(c, [...path, "child_modules", i], str(c.address) ?? module));
    };
    walk(prior.values.root_module, ["prior_state", "values", "root_module"], "");
    return found;
  }

  private addInstance(r: Obj, scope: Scope): void {
    const address = str(r.address);
    const type = str(r.type);
    const name = str(r.name);
    if (!address || !type || !name) return;
    const base = `${scope.prefix}${r.mode === "data" ? "data." : ""}${type}.${name}`;
    const list = this.instances.get(base) ?? [];
    list.push({ address, index: r.index });
    this.instances.set(base, list);
  }

  /** A DeclaredResource, `null` for a change that removes the resource, undefined for an entry that is not one. */
  private fromChange(c: Obj, i: number): DeclaredResource | null | undefined {
    const address = str(c.address);
    const type = str(c.type);
    const name = str(c.name);
    if (!address || !type || !name || !isObj(c.change)) return undefined;
    if (onlyRemoves(c.change.actions)) return null;
    const scope = scopeOf(str(c.module_address));
    const mode = c.mode === "data" ? "data" : "managed";
    const config = this.modules.get(scope.moduleKey)?.resources.get(`${mode === "data" ? "data." : ""}${type}.${name}`);
    const unknownAt = (path: Path): TfValue => this.afterApply(config, path, scope, c.index);
    return {
      address,
      mode,
      type,
      name,
      module: str(c.module_address) ?? "",
      attributes: attributesOf(c.change.after, c.change.after_unknown, c.change.after_sensitive, { unknownAt, secrets: this.secrets }),
      location: { file: this.file, line: this.lineOf(["resource_changes", i, "address"]) },
    };
  }

  private fromState({ resource: r, path, scope }: StateData): DeclaredResource | undefined {
    const address = str(r.address);
    const type = str(r.type);
    const name = str(r.name);
    if (!address || !type || !name) return undefined;
    return {
      address,
      mode: "data",
      type,
      name,
      module: scope.prefix.replace(/\.$/, ""),
      // State values have no unknowns; should one be marked anyway, it is not guessed at.
      attributes: attributesOf(r.values, undefined, r.sensitive_values, { unknownAt: () => AFTER_APPLY, secrets: this.secrets }),
      location: { file: this.file, line: this.lineOf([...path, "address"]) },
    };
  }

  /** The value an unknown attribute will have: the ref its expression makes, else unknown. */
  private afterApply(config: Obj | undefined, path: Path, scope: Scope, index: unknown): TfValue {
    const expr = config ? expressionAt(config.expressions, path) : undefined;
    if (!expr) return AFTER_APPLY;
    const parsed = dedupe(maximal(referencesOf(expr)).map(parseRef));
    const usable = parsed.filter((p) => (p.kind === "resource" && p.attribute !== "") || p.kind === "module" || p.kind === "var");
    // One usable reference beside others the plan does not resolve (`local.x`, `each.key`): a value built
    // from several pieces, not that reference's value.
    const composite = parsed.some((p) => p.kind === "other");
    if (usable.length === 1 && !composite) return this.resolveValue(usable[0]!, scope, index, 0) ?? AFTER_APPLY;
    if (usable.length === 1) {
      const only = usable[0]!.kind === "var" ? undefined : this.resolve(usable[0]!, scope, index, 0);
      return { k: "unknown", raw: "(known after apply)", why: "built from several values, known only after apply", ...(only ? { refs: [{ address: only.address, attribute: only.attribute }] } : {}) };
    }
    if (usable.length > 1) {
      // Several refs: a string built from them (`"org:${a.slug}:pipeline:${b.slug}"`), not one of them.
      const refs = usable.map((p) => (p.kind === "var" ? undefined : this.resolve(p, scope, index, 0))).filter((r): r is { k: "ref" } & TfRef => r !== undefined);
      return { k: "unknown", raw: "(known after apply)", why: "known only after apply", refs: refs.map(({ address, attribute }) => ({ address, attribute })) };
    }
    // `for_each = buildkite_pipeline.p` then `each.value.uuid`: the instance with this resource's key.
    const each = parsed.find((p) => p.kind === "each-value");
    if (each?.kind === "each-value" && config && isObj(config.for_each_expression)) {
      const over = maximal(referencesOf(config.for_each_expression)).map(parseRef);
      const target = over.length === 1 ? over[0] : undefined;
      if (target?.kind === "resource" && target.attribute === "" && target.index === undefined) {
        const hit = this.instances.get(`${scope.prefix}${target.base}`)?.find((x) => x.index !== undefined && x.index === index);
        if (hit) return { k: "ref", address: hit.address, attribute: each.attribute };
      }
    }
    return AFTER_APPLY;
  }

  /**
   * What a reference stands for: a ref to a resource's attribute, or for `var.NAME` the value the
   * module's call passes (followed into the caller, as the HCL reader binds module inputs), or a
   * root variable's planned value.
   */
  private resolveValue(p: ParsedRef, scope: Scope, index: unknown, hops: number): TfValue | undefined {
    if (p.kind !== "var") return this.resolve(p, scope, index, hops);
    if (hops >= MAX_OUTPUT_HOPS) return undefined;
    if (scope.moduleKey === "") return this.rootVariable(p.name);
    const input = this.modules.get(scope.moduleKey)?.inputs?.[p.name];
    if (!isExpression(input)) return undefined;
    if ("constant_value" in input) return convert(input.constant_value, undefined, undefined, [], { unknownAt: () => AFTER_APPLY, secrets: this.secrets });
    const refs = dedupe(maximal(referencesOf(input)).map(parseRef)).filter((x) => (x.kind === "resource" && x.attribute !== "") || x.kind === "module" || x.kind === "var");
    if (refs.length !== 1) return undefined;
    return this.resolveValue(refs[0]!, parentScope(scope), undefined, hops + 1);
  }

  /** A root variable's value as planned (`variables.NAME.value`). */
  private rootVariable(name: string): TfValue | undefined {
    const vars = this.plan.variables;
    const v = isObj(vars) && isObj(vars[name]) ? vars[name] : undefined;
    return v && "value" in v ? convert(v.value, undefined, undefined, [], { unknownAt: () => AFTER_APPLY, secrets: this.secrets }) : undefined;
  }

  private resolve(p: ParsedRef, scope: Scope, index: unknown, hops: number): ({ k: "ref" } & TfRef) | undefined {
    if (p.kind === "resource") {
      const base = `${scope.prefix}${p.base}`;
      if (p.index !== undefined) return { k: "ref", address: `${base}${p.index}`, attribute: p.attribute };
      const known = this.instances.get(base);
      if (!known || known.some((x) => x.index === undefined)) return { k: "ref", address: base, attribute: p.attribute };
      // An unindexed reference to a counted or for_each resource: the instance with this resource's own key.
      const hit = index === undefined ? undefined : known.find((x) => x.index === index);
      return hit ? { k: "ref", address: hit.address, attribute: p.attribute } : undefined;
    }
    if (p.kind !== "module") return undefined;
    const callPrefix = `${scope.prefix}module.${p.call}${p.index ?? ""}`;
    const fallback = { k: "ref" as const, address: callPrefix, attribute: `${p.output}${p.rest}` };
    // A local module's output is what its expression refers to, as the HCL reader evaluates it.
    const childKey = `${scope.moduleKey ? `${scope.moduleKey}.` : ""}module.${p.call}`;
    const refs = this.modules.get(childKey)?.outputs.get(p.output);
    if (!refs || hops >= MAX_OUTPUT_HOPS) return fallback;
    const inner = dedupe(maximal(refs).map(parseRef)).filter((x) => (x.kind === "resource" && x.attribute !== "") || x.kind === "module");
    if (inner.length !== 1) return fallback;
    const r = this.resolve(inner[0]!, { prefix: `${callPrefix}.`, moduleKey: childKey }, undefined, hops + 1);
    return r ? { ...r, attribute: `${r.attribute}${p.rest}` } : fallback;
  }

  /** Provider arguments that are one root variable (`subscription_id = var.subscription_id`) take its planned value. */
  private withVariables(attrs: Record<string, TfValue>, expressions: Obj, module: string): Record<string, TfValue> {
    if (module !== "") return attrs;
    for (const [name, e] of Object.entries(expressions)) {
      if (!isExpression(e) || "constant_value" in e || secretSetting(name)) continue;
      const refs = maximal(referencesOf(e)).map(parseRef);
      const only = refs.length === 1 ? refs[0] : undefined;
      const value = only?.kind === "var" ? this.rootVariable(only.name) : undefined;
      if (value) attrs[name] = value;
    }
    return attrs;
  }

  private provider(key: string, pc: Obj): DeclaredProvider {
    const name = str(pc.name) ?? key.replace(/^.*:/, "").split(".")[0]!;
    const alias = str(pc.alias);
    return {
      name,
      ...(alias ? { alias } : {}),
      module: str(pc.module_address) ?? "",
      attributes: isObj(pc.expressions) ? this.withVariables(providerSettings(pc.expressions, this.secrets), pc.expressions, str(pc.module_address) ?? "") : {},
      location: { file: this.file, line: this.lineOf(["configuration", "provider_config", key]) },
    };
  }
}

/**
 * Every string the plan marks sensitive anywhere. Terraform marks the paths it knows are
 * sensitive, but a value derived from one by a provider (`terraform_data`'s `output` from a
 * sensitive `input`) can sit unmarked next to it; any string equal to a marked one, or holding
 * a long one, is then treated as sensitive too.
 */
class Secrets {
  private readonly exact = new Set<string>();
  private readonly long: string[] = [];

  add(s: string): void {
    if (this.exact.has(s)) return;
    this.exact.add(s);
    if (s.length >= MIN_EMBEDDED_SECRET) this.long.push(s);
  }

  holds(s: string): boolean {
    return this.exact.has(s) || (s.length >= MIN_EMBEDDED_SECRET && this.long.some((x) => s.includes(x)));
  }
}

/** A marked value at least this long is also looked for inside other strings (shorter ones would hit ordinary words). */
const MIN_EMBEDDED_SECRET = 8;

function collectSecrets(plan: Obj): Secrets {
  const secrets = new Secrets();
  const all = (v: unknown): void => {
    if (typeof v === "string") secrets.add(v);
    else if (Array.isArray(v)) v.forEach(all);
    else if (isObj(v)) Object.values(v).forEach(all);
  };
  const marked = (v: unknown, mark: unknown): void => {
    if (mark === true) all(v);
    else if (Array.isArray(v) && Array.isArray(mark)) v.forEach((x, i) => marked(x, mark[i]));
    else if (isObj(v) && isObj(mark)) for (const k of Object.keys(v)) marked(v[k], mark[k]);
  };
  const changes = [...(Array.isArray(plan.resource_changes) ? plan.resource_changes : []), ...(Array.isArray(plan.resource_drift) ? plan.resource_drift : [])];
  for (const c of changes) {
    if (!isObj(c) || !isObj(c.change)) continue;
    marked(c.change.after, c.change.after_sensitive);
    marked(c.change.before, c.change.before_sensitive);
  }
  if (isObj(plan.output_changes)) {
    for (const o of Object.values(plan.output_changes)) {
      if (!isObj(o)) continue;
      marked(o.after, o.after_sensitive);
      marked(o.before, o.before_sensitive);
    }
  }
  const stateModule = (m: unknown): void => {
    if (!isObj(m)) return;
    for (const r of Array.isArray(m.resources) ? m.resources : []) if (isObj(r)) marked(r.values, r.sensitive_values);
    if (Array.isArray(m.child_modules)) m.child_modules.forEach(stateModule);
  };
  for (const values of [plan.planned_values, isObj(plan.prior_state) ? plan.prior_state.values : undefined]) {
    if (!isObj(values)) continue;
    stateModule(values.root_module);
    if (isObj(values.outputs)) for (const o of Object.values(values.outputs)) if (isObj(o) && o.sensitive === true) all(o.value);
  }
  // Root variables declared sensitive: their values are in `variables`, their sensitivity only in the configuration.
  const config = isObj(plan.configuration) && isObj(plan.configuration.root_module) ? plan.configuration.root_module : {};
  if (isObj(config.variables) && isObj(plan.variables)) {
    for (const [name, decl] of Object.entries(config.variables)) {
      const v = plan.variables[name];
      if (isObj(decl) && decl.sensitive === true && isObj(v)) all(v.value);
    }
  }
  // Provider secrets written as constants (see SECRET_SETTING): also kept out of resource values.
  if (isObj(plan.configuration) && isObj(plan.configuration.provider_config)) {
    for (const pc of Object.values(plan.configuration.provider_config)) {
      if (!isObj(pc) || !isObj(pc.expressions)) continue;
      for (const [name, e] of Object.entries(pc.expressions)) if (secretSetting(name) && isObj(e)) all(e.constant_value);
    }
  }
  return secrets;
}

/** `["delete"]` and `["forget"]`: the resource will not be in the configuration's result. */
function onlyRemoves(actions: unknown): boolean {
  return Array.isArray(actions) && actions.length > 0 && actions.every((a) => a === "delete" || a === "forget");
}

/** The scope of the module that calls this one (`module.a.module.b["k"].` → `module.a.`). */
function parentScope(scope: Scope): Scope {
  const steps = splitRef(scope.prefix.replace(/\.$/, "")) ?? [];
  let cut = steps.length;
  while (cut > 0 && steps[cut - 1] !== "module") cut--;
  const prefixSteps = steps.slice(0, Math.max(0, cut - 1));
  const prefix = prefixSteps.length === 0 ? "" : `${joinPath(prefixSteps)}.`;
  const key = scope.moduleKey.split(".").slice(0, -2).join(".");
  return { prefix, moduleKey: key };
}

function scopeOf(m: string | undefined): Scope {
  if (!m) return { prefix: "", moduleKey: "" };
  const steps = splitRef(m);
  const key = steps ? steps.filter((s) => !s.startsWith("[")).join(".") : m;
  return { prefix: `${m}.`, moduleKey: key };
}

function attributesOf(after: unknown, unknown: unknown, sensitive: unknown, ctx: Convert): Record<string, TfValue> {
  const attrs: Record<string, TfValue> = {};
  if (!isObj(after) && !isObj(unknown)) return attrs;
  const value = convert(isObj(after) ? after : {}, unknown, sensitive, [], ctx);
  if (value.k === "map") for (const [k, v] of value.entries) attrs[k] = v;
  return attrs;
}

interface Convert {
  /** The value of an attribute known only after apply. */
  unknownAt: (path: Path) => TfValue;
  secrets: Secrets;
}

/** A plan value (with its unknown and sensitive marks, same shape) as a TfValue. */
function convert(v: unknown, unknown: unknown, sensitive: unknown, path: Path, ctx: Convert): TfValue {
  // Sensitive first: a sensitive value is never copied, whatever else is true of it.
  if (sensitive === true) return SENSITIVE;
  if (unknown === true) return ctx.unknownAt(path);
  if (v === null || v === undefined) return { k: "null" };
  if (typeof v === "string") return ctx.secrets.holds(v) ? SENSITIVE : { k: "str", s: v };
  if (typeof v === "number") return { k: "num", n: v };
  if (typeof v === "boolean") return { k: "bool", b: v };
  if (Array.isArray(v)) {
    const at = (m: unknown, i: number): unknown => (Array.isArray(m) ? m[i] : undefined);
    return { k: "list", items: v.map((x, i) => convert(x, at(unknown, i), at(sensitive, i), [...path, i], ctx)) };
  }
  if (!isObj(v)) return { k: "null" };
  const u = isObj(unknown) ? unknown : {};
  const s = isObj(sensitive) ? sensitive : {};
  // Unknown attributes are left out of `after`; `after_unknown` names them.
  const keys = [...Object.keys(v), ...Object.keys(u).filter((k) => !(k in v) && u[k] === true)];
  return { k: "map", entries: keys.map((k): [string, TfValue] => [k, convert(v[k], u[k], s[k], [...path, k], ctx)]) };
}

/** An expression object: `{constant_value}` and/or `{references}` (a nested block's expressions are keyed by argument instead). */
function isExpression(v: unknown): v is Obj {
  if (!isObj(v)) return false;
  const keys = Object.keys(v);
  return keys.length > 0 && keys.every((k) => k === "constant_value" || k === "references");
}

/** The expression for an attribute path: `["subject"]`, or into nested blocks `["identity", 0, "principal_id"]`. */
function expressionAt(expressions: unknown, path: Path): Obj | undefined {
  let cur: unknown = expressions;
  for (const step of path) {
    if (isExpression(cur)) return undefined; // an argument's value built as a whole (a map); which part is which is not known
    cur = Array.isArray(cur) ? (typeof step === "number" ? cur[step] : undefined) : isObj(cur) && typeof step === "string" ? cur[step] : undefined;
  }
  return isExpression(cur) ? cur : undefined;
}

function referencesOf(expr: Obj): string[] {
  return Array.isArray(expr.references) ? expr.references.filter((r): r is string => typeof r === "string") : [];
}

/**
 * Terraform lists each reference and then every shorter form of it (`a.b.c`, `a.b`): keep only
 * those no other reference extends.
 */
function maximal(refs: string[]): string[] {
  return [...new Set(refs)].filter((r) => !refs.some((o) => o !== r && o.startsWith(r) && (o[r.length] === "." || o[r.length] === "[")));
}

function dedupe(refs: ParsedRef[]): ParsedRef[] {
  const seen = new Set<string>();
  return refs.filter((r) => {
    const k = JSON.stringify(r);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** `a.b["k"].c[0]` → `["a", "b", "[\"k\"]", "c", "[0]"]`; undefined when it is not a plain traversal. */
function splitRef(ref: string): string[] | undefined {
  const steps: string[] = [];
  let i = 0;
  while (i < ref.length) {
    if (ref[i] === "[") {
      let j = i + 1;
      if (ref[j] === '"') {
        for (j++; j < ref.length && ref[j] !== '"'; j++) if (ref[j] === "\\") j++;
        j++;
      } else {
        while (j < ref.length && ref[j] !== "]") j++;
      }
      if (ref[j] !== "]") return undefined;
      steps.push(ref.slice(i, j + 1));
      i = j + 1;
      continue;
    }
    if (steps.length > 0) {
      if (ref[i] !== ".") return undefined;
      i++;
    }
    const m = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(ref.slice(i));
    if (!m) return undefined;
    steps.push(m[0]);
    i += m[0].length;
  }
  return steps;
}

const isIndex = (s: string | undefined): s is string => s !== undefined && s.startsWith("[");
/** Attribute path text from steps: `identity[0].principal_id`. */
const joinPath = (steps: string[]): string => steps.reduce((acc, s) => (isIndex(s) || acc === "" ? acc + s : `${acc}.${s}`), "");

function parseRef(ref: string): ParsedRef {
  const s = splitRef(ref);
  if (!s || s.length < 2) return { kind: "other" };
  if (s[0] === "each" && s[1] === "value" && s.length > 2 && !isIndex(s[2])) return { kind: "each-value", attribute: joinPath(s.slice(2)) };
  if (s[0] === "var" && s.length === 2 && !isIndex(s[1])) return { kind: "var", name: s[1]! };
  if (["var", "local", "each", "count", "path", "terraform", "self"].includes(s[0]!)) return { kind: "other" };
  if (s[0] === "module") {
    const index = isIndex(s[2]) ? s[2] : undefined;
    const rest = s.slice(index ? 3 : 2);
    if (isIndex(s[1]) || rest.length === 0 || isIndex(rest[0])) return { kind: "other" };
    const tail = joinPath(rest.slice(1));
    return { kind: "module", call: s[1]!, ...(index ? { index } : {}), output: rest[0]!, rest: tail === "" ? "" : isIndex(rest[1]) ? tail : `.${tail}` };
  }
  const data = s[0] === "data";
  const t = data ? s.slice(1) : s;
  if (t.length < 2 || isIndex(t[0]) || isIndex(t[1])) return { kind: "other" };
  const index = isIndex(t[2]) ? t[2] : undefined;
  const attrSteps = t.slice(index ? 3 : 2);
  if (isIndex(attrSteps[0])) return { kind: "other" };
  return { kind: "resource", base: `${data ? "data." : ""}${t[0]}.${t[1]}`, ...(index ? { index } : {}), attribute: joinPath(attrSteps) };
}

/** Provider arguments from the configuration: constants as written, references unknown (the plan does not evaluate them there). */
function providerSettings(expressions: Obj, secrets: Secrets): Record<string, TfValue> {
  const attrs: Record<string, TfValue> = {};
  for (const [name, e] of Object.entries(expressions)) attrs[name] = providerSetting(name, e, secrets);
  return attrs;
}

const secretSetting = (name: string): boolean => SECRET_SETTING.test(name) && !NOT_SECRET_SETTING.test(name);

function providerSetting(name: string, e: unknown, secrets: Secrets): TfValue {
  if (Array.isArray(e)) return { k: "list", items: e.map((b) => (isObj(b) ? { k: "map", entries: Object.entries(providerSettings(b, secrets)) } : { k: "null" })) };
  if (!isExpression(e)) return isObj(e) ? { k: "map", entries: Object.entries(providerSettings(e, secrets)) } : { k: "null" };
  if ("constant_value" in e) {
    if (secretSetting(name) && e.constant_value !== null) return SENSITIVE;
    return convert(e.constant_value, undefined, undefined, [], { unknownAt: () => AFTER_APPLY, secrets });
  }
  const refs = maximal(referencesOf(e));
  return { k: "unknown", raw: refs.join(", ") || "(expression)", why: "provider settings that refer to other values are not evaluated in a plan" };
}
