/**
 * Vitest global setup: builds the packages' JavaScript (scripts/build.ts, about a second) before
 * any test runs, so the end-to-end tests spawn the CLI as installed users run it, built from the
 * sources under test, never a stale dist/.
 */
import { buildAll } from "../../scripts/build.ts";

export default async function setup(): Promise<void> {
  await buildAll();
}
