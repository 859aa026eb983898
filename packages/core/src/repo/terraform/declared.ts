/**
 * What a Terraform configuration declares, whether read from HCL (`*.tf` with variables, tfvars,
 * locals, loops and local modules evaluated) or from a plan (`terraform show -json`): resource
 * instances with their attribute values. Both readers produce this, so one joiner turns it into
 * facts and both give the same findings.
 */
import type { Diagnostic, Located } from "../../model/repo.ts";

/** A reference to an attribute of another resource instance in the configuration. */
export interface TfRef {
  /** The instance's full address: `buildkite_pipeline.deploy`, `module.ci.azuread_application.x`, `data.buildkite_organization.o`, `azurerm_user_assigned_identity.x["prod"]`. */
  address: string;
  /** The attribute path after it: `uuid`, `principal_id`, `identity[0].principal_id`. */
  attribute: string;
}

/**
 * A value in the configuration. `ref` is a value only known once the other resource exists (its
 * `uuid`, `id`, `principal_id`): the joiner resolves it to that resource. `unknown` is anything
 * the reader cannot know (a variable without a value, a function it does not evaluate, a string
 * built around a ref), with the text as written and the refs it contains.
 */
export type TfValue =
  | { k: "str"; s: string }
  | { k: "num"; n: number }
  | { k: "bool"; b: boolean }
  | { k: "null" }
  | { k: "list"; items: TfValue[] }
  /** Objects and maps, keys in order. */
  | { k: "map"; entries: [string, TfValue][] }
  | ({ k: "ref" } & TfRef)
  | { k: "unknown"; raw: string; why: string; refs?: TfRef[] };

export interface DeclaredResource {
  /** Full instance address, as Terraform prints it: `module.ci.azurerm_role_assignment.deploy["prod"]`, `buildkite_pipeline.p[0]`. */
  address: string;
  mode: "managed" | "data";
  /** `azurerm_role_assignment`. */
  type: string;
  /** The resource's name label (`deploy`). */
  name: string;
  /** `module.ci` (nested: `module.a.module.b`); "" in the root module. */
  module: string;
  /**
   * Top-level arguments, evaluated. A nested block is a list of maps under its type name (two
   * `identity {}` blocks → a list of two); `provider_settings = { … }` and a
   * `provider_settings { … }` block both end up as a map or a one-item list of maps, which the
   * joiner reads alike.
   */
  attributes: Record<string, TfValue>;
  /** The resource block (HCL), or the line of its `"address"` in the plan JSON. */
  location: Located;
  /** For a resource in a local module: the `module` blocks that instantiate it, outermost first. */
  calledFrom?: Located[];
}

export interface DeclaredProvider {
  /** `buildkite`, `azurerm`, `azuread`, … */
  name: string;
  alias?: string;
  module: string;
  attributes: Record<string, TfValue>;
  location: Located;
}

export interface DeclaredConfiguration {
  /** The root module's directory, repository-relative (`infra/ci`, "" for the root), or the plan file's path. */
  root: string;
  source: "hcl" | "plan";
  /** For an HCL configuration evaluated with a `-var-file` (`infra/prod.tfvars`, repository-relative) on top of its tfvars. */
  varFile?: string;
  resources: DeclaredResource[];
  providers: DeclaredProvider[];
  /** Gaps (a file that cannot be read) and notes (a value not evaluated, a registry module), with file and line. */
  diagnostics: Diagnostic[];
}

/** Text of a value for messages: a ref as Terraform writes it (`${buildkite_pipeline.deploy.uuid}`). */
export function valueText(v: TfValue): string {
  switch (v.k) {
    case "str":
      return v.s;
    case "num":
      return String(v.n);
    case "bool":
      return String(v.b);
    case "null":
      return "null";
    case "ref":
      return refText(v);
    case "unknown":
      return v.raw;
    case "list":
      return `[${v.items.map(valueText).join(", ")}]`;
    case "map":
      return `{${v.entries.map(([k, x]) => `${k} = ${valueText(x)}`).join(", ")}}`;
  }
}

export function refText(r: TfRef): string {
  return `\${${r.address}.${r.attribute}}`;
}
