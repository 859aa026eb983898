/** Helpers for testing rules: an inventory builder with the built-in Azure role definitions. */
export { InventoryBuilder, BUILTIN_ROLES, WEB_ROLES, uuidFor, type BuiltApp, type CredentialSpec } from "./inventory-builder.ts";
