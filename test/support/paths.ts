import { fileURLToPath } from "node:url";
import { dirname, resolve } from "node:path";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
/** `shared/` sits beside the repository, as laid out for developers and CI (override: TRUSTSCOPE_SHARED_DIR). */
export const SHARED = resolve(process.env.TRUSTSCOPE_SHARED_DIR ?? resolve(REPO_ROOT, "../shared"));
export const CLI_BIN = resolve(REPO_ROOT, "packages/cli/bin/trustscope.js");
export const DEMO_SNAPSHOT = resolve(REPO_ROOT, "packages/cli/demo/organisation.json");
