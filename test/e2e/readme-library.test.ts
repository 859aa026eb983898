/** The README's library example is runnable: this runs the ```ts block under "## Library" as written. */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../support/paths.ts";

const README = readFileSync(join(REPO_ROOT, "README.md"), "utf8");

function exampleBlock(): string {
  const section = README.slice(README.indexOf("\n## Library\n"));
  const match = /```ts\n([\s\S]*?)\n```/.exec(section);
  if (!match) throw new Error("README.md: no ```ts block under ## Library");
  return match[1]!;
}

// Inside the repository (.tmp/ is git-ignored) so the packages resolve as the README says.
const dir = join(REPO_ROOT, ".tmp", `readme-library-${process.pid}`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("README: Library", () => {
  it("the example runs from the repository root and prints the custom rule's findings", () => {
    mkdirSync(dir, { recursive: true });
    const file = join(dir, "example.ts");
    writeFileSync(file, exampleBlock());
    const r = spawnSync(join(REPO_ROOT, "node_modules/.bin/tsx"), [file], { cwd: REPO_ROOT, encoding: "utf8", timeout: 60_000 });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(1); // the demo has high findings
    expect(r.stdout).toMatch(/production-only-from-production-cluster/);
    expect(r.stdout).toMatch(/^app-platform-nonprod can log in as app-platform-deployer through /m);
    expect(r.stdout).not.toMatch(/overbroad-subject/);
  });
});
