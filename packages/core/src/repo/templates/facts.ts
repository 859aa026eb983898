/**
 * Turns resource declarations (from either reader) into TemplateFacts. Whatever cannot be
 * evaluated is reported as a diagnostic at the resource's line rather than guessed.
 */
import type {
  TemplateFacts,
  TemplateFederatedCredential,
  TemplateRoleAssignment,
  TemplateStorageAccount,
  ValueRef,
} from "../../model/repo.ts";
import type { Evaluator, ResourceNode, Scope } from "./evaluate.ts";
import type { DeployTime } from "./evaluate.ts";
import { deployTimeOf, isKnown, referencedName, roleGuidOf, textOf, UNKNOWN_MARK, valueRefOf } from "./evaluate.ts";
import type { Expr, ObjectExpr } from "./expr.ts";
import { propOf } from "./expr.ts";
import type { DiagnosticSink } from "./support.ts";
import { clip, emptyFacts } from "./support.ts";

const ROLE_ASSIGNMENT = "microsoft.authorization/roleassignments";
const MI_FIC = "microsoft.managedidentity/userassignedidentities/federatedidentitycredentials";
const GRAPH_APP = "microsoft.graph/applications";
const GRAPH_FIC = "microsoft.graph/applications/federatedidentitycredentials";
const STORAGE = "microsoft.storage/storageaccounts";

/** Child types may be relative to their parent (`federatedIdentityCredentials`); the API version is dropped. */
export function qualify(typeWithVersion: string, parentType: string | undefined): string {
  const type = typeWithVersion.split("@")[0]!.trim();
  if (!parentType) return type;
  const first = type.split("/")[0]!;
  return first.includes(".") ? type : `${parentType}/${type}`;
}

type Source = { expr: ObjectExpr; scope: Scope };

export class FactCollector {
  readonly facts: TemplateFacts = emptyFacts();

  constructor(
    private readonly ev: Evaluator,
    private readonly diags: DiagnosticSink,
    private readonly file: string,
  ) {}

  /** Reads the facts a resource declares (existing resources declare none themselves). */
  resource(node: ResourceNode): void {
    if (node.existing) return;
    const t = node.type.toLowerCase();
    if (node.none !== undefined) {
      // Nothing to read; said only for the resources facts are about.
      if ([ROLE_ASSIGNMENT, MI_FIC, GRAPH_FIC, GRAPH_APP, STORAGE].includes(t) || t.endsWith("/providers/roleassignments")) {
        this.diags.atLine(node.line, `${this.label(node)}: ${node.none}`, true, "loop");
      }
      return;
    }
    if (t === ROLE_ASSIGNMENT || t.endsWith("/providers/roleassignments")) this.roleAssignment(node, t !== ROLE_ASSIGNMENT);
    else if (t === MI_FIC) this.federatedCredential(node, "managedIdentity");
    else if (t === GRAPH_FIC) this.federatedCredential(node, "application");
    else if (t === GRAPH_APP) this.graphApplication(node);
    else if (t === STORAGE) this.storageAccount(node);
  }

  private label(node: ResourceNode): string {
    return node.symbol ? `resource '${node.symbol}' (${node.type})` : `resource ${node.type}`;
  }

  private noteConditions(node: ResourceNode, line: number): void {
    // Conditions and loops are read as if deployed: worth saying, not a blind spot.
    for (const c of node.conditions) this.diags.atLine(line, `${this.label(node)} ${c}`, true, /\bloop\b/.test(c) ? "loop" : "condition");
  }

  /** A value the deployment decides: a note naming what decides it, not a gap. */
  private noteDeployTime(line: number, what: string, dt: DeployTime, more = ""): void {
    this.diags.atLine(line, `${what} is decided at deploy time by ${dt.by}${more}`, true, "deploy-time-value");
  }

  /** The deploy-time origin of an expression's value (undefined when known or not understood). */
  private deployTime(expr: Expr, scope: Scope): DeployTime | undefined {
    return deployTimeOf(this.ev.eval(expr, scope));
  }

  /** The resource's `properties` object: undefined when absent, null when it cannot be evaluated. */
  private properties(node: ResourceNode): Source | undefined | null {
    const p = propOf(node.body, "properties");
    if (!p) return undefined;
    return this.ev.objectOf(p.value, node.scope) ?? null;
  }

  /** The symbol of a role definition declared in this template that `expr` names by its id (`customRole.id`), if it is one. */
  private ownRoleDefinition(expr: Expr, scope: Scope): string | undefined {
    if (expr.k !== "member" || expr.name.toLowerCase() !== "id" || expr.object.k !== "ident") return undefined;
    const b = scope.lookup(expr.object.name);
    return b?.kind === "resource" && b.node.type.toLowerCase() === "microsoft.authorization/roledefinitions" ? b.name : undefined;
  }

  private roleAssignment(node: ResourceNode, legacyType: boolean): void {
    const fact: TemplateRoleAssignment = { file: this.file, line: node.line, roleDefinitionRaw: "", hasCondition: false };
    const scopeProp = propOf(node.body, "scope");
    if (scopeProp) fact.scopeRaw = scopeProp.value.raw;
    else if (legacyType && node.name) fact.scopeRaw = node.name.raw; // `<resource>/Microsoft.Authorization/<guid>`
    const props = this.properties(node);
    const label = this.label(node);
    /** Role definitions when the deployment picks one of several: one fact per candidate. */
    let candidates: string[] = [];
    /** Whether the role may also be one not among the candidates (then an undecided fact stands for it). */
    let open = true;
    if (!props) {
      this.diags.atLine(
        node.line,
        props === null
          ? `${label}: its properties cannot be evaluated, so its role, principal and condition are unknown`
          : `${label} has no properties, so its role and principal are unknown`,
      );
    } else {
      const rd = propOf(props.expr, "roleDefinitionId");
      if (rd) {
        fact.roleDefinitionRaw = rd.value.raw;
        const v = this.ev.eval(rd.value, props.scope);
        const guid = roleGuidOf(v);
        const dt = guid ? undefined : deployTimeOf(v);
        if (guid) fact.roleDefinitionGuid = guid;
        else if (dt) {
          fact.roleDecidedBy = dt.by;
          ({ guids: candidates, open } = this.roleCandidates(rd.value, props.scope));
          const which =
            candidates.length === 0 ? "" : `; each of the ${candidates.length} roles it can name is read${open ? ", and one fact stands for any other role it may name" : ""}`;
          this.noteDeployTime(node.line, `${label}: its role definition ${clip(rd.value.raw)}`, dt, which);
        } else if (node.off !== undefined && (v.t === "null" || textOf(v)?.complete)) {
          // A value Azure would reject, where the resource is not deployed with these values.
          this.diags.atLine(node.line, `${label}: its role definition ${clip(rd.value.raw)} ('${clip(textOf(v)?.s ?? "null", 60)}') names no role definition; ${node.off}`, true, "condition");
        } else if (this.ownRoleDefinition(rd.value, props.scope)) {
          // The template's own custom role: its GUID is made at deploy time, its permissions are in the template.
          this.diags.atLine(node.line, `${label}: its role is the custom role definition '${this.ownRoleDefinition(rd.value, props.scope)}' this template declares; its permissions are not judged from the repository`, true, "custom-role");
        } else this.diags.atLine(node.line, `${label}: cannot read a role definition GUID from ${clip(rd.value.raw)}`);
      } else this.diags.atLine(node.line, `${label} has no readable roleDefinitionId`);
      const principal = propOf(props.expr, "principalId");
      if (principal) fact.principalRaw = principal.value.raw;
      const condition = propOf(props.expr, "condition");
      if (condition) this.condition(fact, condition.value, props.scope, node.line, label);
      else if (props.expr.spread) {
        this.diags.atLine(node.line, `${label}: its properties are spread from elsewhere; a condition there is not seen`);
      }
    }
    for (const guid of candidates) this.facts.roleAssignments.push({ ...fact, roleDefinitionGuid: guid });
    if (candidates.length === 0 || open) this.facts.roleAssignments.push(fact);
    this.noteConditions(node, node.line);
  }

  /**
   * The role GUIDs a deploy-time role definition can name: the candidates of what decides it
   * (allowedValues, the keys of a role map) and the branches of conditions, each evaluated.
   * `open`: some value is deploy-time without a readable role (a parameter passed through
   * `map[?name] ?? name`), or there are too many to list: an undecided fact stands for it.
   * Known values that name no role (the deployment would fail) are left out.
   */
  private roleCandidates(expr: Expr, scope: Scope): { guids: string[]; open: boolean } {
    const values = this.ev.possibleValues(expr, scope);
    if (!values) return { guids: [], open: true };
    const guids = new Set<string>();
    let open = false;
    for (const v of values) {
      const guid = roleGuidOf(v);
      if (guid) guids.add(guid);
      else if (deployTimeOf(v)) open = true;
    }
    return { guids: [...guids], open };
  }

  /**
   * A role assignment's condition. It counts (`hasCondition`) only when it is a non-empty string
   * whatever the deployment decides: every value it can take has non-empty literal text (a
   * `replace()` of a literal template with a deploy-time piece does; `empty(c) ? null : c` with a
   * deploy-time `c` does not). A deploy-time condition is a note either way.
   */
  private condition(fact: TemplateRoleAssignment, expr: Expr, scope: Scope, line: number, label: string): void {
    const v = this.ev.eval(expr, scope);
    const dt = deployTimeOf(v);
    const values = dt ? this.ev.possibleValues(expr, scope) : [v];
    let always = values !== undefined && values.length > 0;
    let opaque = false;
    for (const x of values ?? []) {
      const text = x.t === "str" ? x.s.replaceAll(UNKNOWN_MARK, "").trim() : "";
      if (text !== "") continue;
      always = false;
      // Null, '' or a deploy-time value may be no condition; anything else is not understood.
      if (!(x.t === "null" || (x.t === "str" && x.complete) || deployTimeOf(x))) opaque = true;
    }
    if (always) fact.hasCondition = true;
    if (dt) {
      const reading = always ? "read as conditional: it is non-empty whatever the value" : "read as unconditional";
      this.noteDeployTime(line, `${label}: its condition ${clip(expr.raw)} (${reading})`, dt);
    } else if (opaque) {
      this.diags.atLine(line, `${label}: its condition ${clip(expr.raw)} cannot be evaluated; it is read as unconditional`);
    }
  }

  private federatedCredential(node: ResourceNode, parentKind: TemplateFederatedCredential["parentKind"]): void {
    const props = this.properties(node);
    // Graph extension resources carry issuer/subject/audiences at the top of the body (Bicep);
    // compiled ARM puts them under `properties`. Managed identity FICs always use `properties`.
    const sources: Source[] = [];
    if (parentKind === "application") sources.push({ expr: node.body, scope: node.scope });
    if (props) sources.push(props);
    else if (props === null) this.diags.atLine(node.line, `${this.label(node)}: its properties cannot be evaluated`);
    // Compiled Graph extension resources keep `name` under `properties` too.
    const nameExpr = node.name ?? (props ? propOf(props.expr, "name")?.value : undefined);
    const nameScope = node.name ? node.scope : (props?.scope ?? node.scope);
    const name = nameExpr ? this.nameOf(nameExpr, nameScope) : undefined;
    this.pushCredential(sources, node.line, parentKind, name, this.label(node));
    this.noteConditions(node, node.line);
  }

  private graphApplication(node: ResourceNode): void {
    const props = this.properties(node);
    const sources: Source[] = [{ expr: node.body, scope: node.scope }];
    if (props) sources.push(props);
    for (const src of sources) {
      const p = propOf(src.expr, "federatedIdentityCredentials");
      if (!p) continue;
      const v = p.value.k === "array" ? undefined : this.ev.eval(p.value, src.scope);
      const list = p.value.k === "array" ? { expr: p.value, scope: src.scope } : v?.t === "arr" ? { expr: v.expr, scope: v.scope } : undefined;
      if (!list) {
        this.diags.atLine(p.line, `${this.label(node)}: its federatedIdentityCredentials ${clip(p.value.raw)} cannot be evaluated`);
        continue;
      }
      if (list.expr.spread) this.diags.atLine(p.line, `${this.label(node)}: some federatedIdentityCredentials are spread from elsewhere and not read`);
      for (const item of list.expr.items) {
        const obj = this.ev.objectOf(item, list.scope);
        if (!obj) {
          this.diags.atLine(item.line, `${this.label(node)}: federated credential ${clip(item.raw)} cannot be evaluated`);
          continue;
        }
        const nameProp = propOf(obj.expr, "name");
        const name = nameProp ? this.nameOf(nameProp.value, obj.scope) : undefined;
        this.pushCredential([obj], item.line, "application", name, `a federated credential of ${this.label(node)}`);
        this.noteConditions(node, item.line);
      }
    }
  }

  private pushCredential(
    sources: Source[],
    line: number,
    parentKind: TemplateFederatedCredential["parentKind"],
    name: string | undefined,
    label: string,
  ): void {
    const fact: TemplateFederatedCredential = { file: this.file, line, parentKind };
    if (name !== undefined) fact.name = name;
    const find = (key: string): { value: Expr; scope: Scope } | undefined => {
      for (const s of sources) {
        const p = propOf(s.expr, key);
        if (p) return { value: p.value, scope: s.scope };
      }
      return undefined;
    };
    const what = name !== undefined ? `${label} named '${name}'` : label;
    for (const key of ["issuer", "subject"] as const) {
      const p = find(key);
      if (!p) continue;
      const ref = valueRefOf(this.ev, p.value, p.scope);
      fact[key] = ref;
      if (isKnown(ref)) continue;
      const dt = this.deployTime(p.value, p.scope);
      if (dt) this.noteDeployTime(line, `${what}: its ${key} ${clip(ref.raw)}`, dt);
      else this.diags.atLine(line, `${what}: its ${key} ${clip(ref.raw)} cannot be evaluated`);
    }
    const aud = find("audiences");
    if (aud) {
      fact.audiences = this.audiences(aud.value, aud.scope, line, what);
      const items = aud.value.k === "array" ? aud.value.items : undefined;
      fact.audiences.forEach((a, i) => {
        if (isKnown(a)) return;
        const dt = this.deployTime(items?.[i] ?? aud.value, aud.scope);
        if (dt) this.noteDeployTime(line, `${what}: its audience ${clip(a.raw)}`, dt);
        else this.diags.atLine(line, `${what}: its audience ${clip(a.raw)} cannot be evaluated`);
      });
    }
    this.facts.federatedCredentials.push(fact);
  }

  private audiences(expr: Expr, scope: Scope, line: number, what: string): ValueRef[] {
    if (expr.k === "array") {
      if (expr.spread) this.diags.atLine(line, `${what}: some audiences are spread from elsewhere and not read`);
      return expr.items.map((i) => valueRefOf(this.ev, i, scope));
    }
    const v = this.ev.eval(expr, scope);
    if (v.t === "arr") {
      if (v.expr.spread) this.diags.atLine(line, `${what}: some audiences are spread from elsewhere and not read`);
      const variable = referencedName(expr, scope);
      if (variable === undefined) return v.expr.items.map((i) => valueRefOf(this.ev, i, v.scope));
      return v.expr.items.map((i) => {
        const ref: ValueRef = { raw: expr.raw, variable };
        const t = textOf(this.ev.eval(i, v.scope));
        if (t?.complete) ref.fallback = t.s;
        return ref;
      });
    }
    const variable = referencedName(expr, scope);
    return [variable === undefined ? { raw: expr.raw } : { raw: expr.raw, variable }];
  }

  /** A credential's own name: the last `/` segment of its (possibly `parent/child`) name. */
  private nameOf(expr: Expr, scope: Scope): string | undefined {
    const t = textOf(this.ev.eval(expr, scope));
    if (!t) return undefined;
    const last = t.s.slice(t.s.lastIndexOf("/") + 1);
    return last.includes(UNKNOWN_MARK) || last === "" ? undefined : last;
  }

  private storageAccount(node: ResourceNode): void {
    const fact: TemplateStorageAccount = { file: this.file, line: node.line };
    if (node.name) {
      const t = textOf(this.ev.eval(node.name, node.scope));
      if (t?.complete) fact.name = t.s;
    }
    const props = this.properties(node);
    const label = this.label(node);
    if (props === null) {
      fact.allowSharedKeyAccess = null;
      this.diags.atLine(node.line, `${label}: its properties cannot be evaluated, so allowSharedKeyAccess is unknown`);
    } else if (props) {
      const p = propOf(props.expr, "allowSharedKeyAccess");
      // A literal null is the same as leaving the property out (shared keys allowed).
      if (p && p.value.k !== "null") {
        const v = this.ev.eval(p.value, props.scope);
        const dt = deployTimeOf(v);
        if (v.t === "bool") fact.allowSharedKeyAccess = v.b;
        else if (dt) {
          fact.allowSharedKeyAccess = null;
          this.noteDeployTime(node.line, `${label}: allowSharedKeyAccess ${clip(p.value.raw)}`, dt);
        } else {
          fact.allowSharedKeyAccess = null;
          this.diags.atLine(node.line, `${label}: allowSharedKeyAccess ${clip(p.value.raw)} cannot be evaluated`);
        }
      } else if (props.expr.spread) {
        fact.allowSharedKeyAccess = null;
        this.diags.atLine(node.line, `${label}: its properties are spread from elsewhere, so allowSharedKeyAccess is unknown`);
      }
    }
    this.facts.storageAccounts.push(fact);
    this.noteConditions(node, node.line);
  }
}
