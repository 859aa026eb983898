/**
 * Loads a snapshot file: strict JSON, then the inventory JSON Schema. Any problem is a
 * UsageError naming the file, line and JSON path of the first problems: never a stack trace.
 */
import type { ErrorObject, ValidateFunction } from "ajv";
import { parse, printParseErrorCode, type ParseError } from "jsonc-parser";
import schema from "../../schema/inventory.schema.json" with { type: "json" };
import { validate as generatedValidator } from "./inventory-validator.generated.ts";
import { isAzureScope } from "../azure/scope.ts";
import type { Inventory } from "../model/inventory.ts";
import { UsageError } from "../util/errors.ts";
import { assertSafeJson } from "../util/json-guard.ts";
import { JsonLocator } from "../util/json-locate.ts";

export const inventorySchema = schema;

/**
 * The schema compiled ahead of time by Ajv (scripts/make-inventory-validator.ts): compiling it at
 * run time cost every snapshot scan ~150 ms.
 */
const validator = (): ValidateFunction<Inventory> => generatedValidator as unknown as ValidateFunction<Inventory>;

const MAX_ERRORS = 3;

function describe(e: ErrorObject): string {
  const path = e.instancePath || "/";
  if (e.keyword === "additionalProperties") return `${path}: unknown key '${String(e.params.additionalProperty)}'`;
  if (e.keyword === "required") return `${path}: missing '${String(e.params.missingProperty)}'`;
  if (e.keyword === "enum") return `${path}: must be one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`;
  if (e.keyword === "const") return `${path}: must be ${JSON.stringify(e.params.allowedValue)}`;
  return `${path}: ${e.message ?? "is invalid"}`;
}

/** `UnexpectedEndOfString` → `unexpected end of string`. */
function words(code: string): string {
  return code.replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase();
}

/** Parse and validate snapshot text; `file` names it in messages. */
export function parseInventory(text: string, file: string): Inventory {
  assertSafeJson(text, file, "the snapshot");
  const errors: ParseError[] = [];
  const data: unknown = parse(text, errors, { allowTrailingComma: false, disallowComments: true, allowEmptyContent: false });
  const locator = new JsonLocator(text);
  if (errors.length > 0) {
    const e = errors[0]!;
    const end = text.trimEnd().length;
    // A cut-off file shows up as an unterminated value or missing closers at the very end.
    const truncated = errors.some((x) => x.offset >= end - 1 || printParseErrorCode(x.error).startsWith("UnexpectedEndOf"));
    throw new UsageError(
      `${file}:${locator.lineAt(e.offset)}: not valid JSON (${words(printParseErrorCode(e.error))}${truncated ? ", the file looks truncated" : ""})`,
    );
  }
  if (data && typeof data === "object" && "schemaVersion" in data && (data as { schemaVersion: unknown }).schemaVersion !== 1) {
    throw new UsageError(`${file}: snapshot schemaVersion ${JSON.stringify((data as { schemaVersion: unknown }).schemaVersion)} is not supported by this trustscope (it reads version 1)`);
  }
  const validate = validator();
  if (!validate(data)) {
    // Report the most specific problems first; anyOf/oneOf noise is dropped.
    const relevant = (validate.errors ?? []).filter((e) => !["anyOf", "oneOf", "if"].includes(e.keyword));
    const shown = relevant.slice(0, MAX_ERRORS).map((e) => {
      const line = locator.lineOf(e.keyword === "additionalProperties" ? `${e.instancePath}/${String(e.params.additionalProperty)}` : e.instancePath);
      return `${describe(e)}${line ? ` (line ${line})` : ""}`;
    });
    const more = relevant.length > MAX_ERRORS ? `; and ${relevant.length - MAX_ERRORS} more` : "";
    const first = relevant[0];
    const firstLine = first ? locator.lineOf(first.instancePath) : undefined;
    throw new UsageError(`${file}${firstLine ? `:${firstLine}` : ""}: not a valid trustscope snapshot: ${shown.join("; ")}${more}`);
  }
  const bad = badScopes(data)[0];
  if (bad) {
    const line = locator.lineOf(bad.path);
    throw new UsageError(`${file}${line ? `:${line}` : ""}: not a valid trustscope snapshot: ${bad.path}: ${JSON.stringify(bad.value)} is not an Azure scope (/, /providers/Microsoft.Management/managementGroups/NAME, /subscriptions/ID[/resourceGroups/NAME][/providers/…])`);
  }
  return data;
}

/**
 * The scope-valued fields that are not ARM scopes, with their JSON pointers. The schema only
 * says "a string"; a scope the hierarchy cannot place would silently cover nothing.
 */
function badScopes(inventory: Inventory): { path: string; value: string }[] {
  const az = inventory.azure;
  if (!az) return [];
  const fields: [string, string | null | undefined][] = [
    ...az.managementGroups.flatMap((m, i): [string, string | null | undefined][] => [[`/azure/managementGroups/${i}/id`, m.id], [`/azure/managementGroups/${i}/parentId`, m.parentId]]),
    ...az.subscriptions.map((s, i): [string, string | null | undefined] => [`/azure/subscriptions/${i}/managementGroupId`, s.managementGroupId]),
    ...az.resourceGroups.map((g, i): [string, string] => [`/azure/resourceGroups/${i}/id`, g.id]),
    ...az.roleAssignments.map((a, i): [string, string] => [`/azure/roleAssignments/${i}/scope`, a.scope]),
    ...az.storageAccounts.map((a, i): [string, string] => [`/azure/storageAccounts/${i}/id`, a.id]),
    ...az.managedIdentities.map((m, i): [string, string] => [`/azure/managedIdentities/${i}/id`, m.id]),
  ];
  return fields.filter((f): f is [string, string] => f[1] !== undefined && f[1] !== null && !isAzureScope(f[1])).map(([path, value]) => ({ path, value }));
}

/**
 * Everything that would make `parseInventory` reject this inventory, each with its JSON pointer:
 * lets a collector check what it is about to write.
 */
export function inventoryProblems(inventory: Inventory): { path: string; message: string }[] {
  const validate = validator();
  const schemaProblems = validate(inventory) ? [] : (validate.errors ?? []).filter((e) => !["anyOf", "oneOf", "if"].includes(e.keyword)).map((e) => ({ path: e.instancePath, message: describe(e) }));
  return [...schemaProblems, ...badScopes(inventory).map(({ path, value }) => ({ path, message: `${path}: ${JSON.stringify(value.slice(0, 200))} is not an Azure scope` }))];
}

/** Locates inventory facts in the snapshot text (for SARIF anchors). */
export { JsonLocator };
