/**
 * One version for every package, and it is what users see: `trustscope --version` and the
 * version reports carry (JSON `tool.version`, SARIF `driver.version`).
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { trustscope } from "../support/cli.ts";
import { DEMO_SNAPSHOT, REPO_ROOT } from "../support/paths.ts";

const PACKAGES = ["packages/core", "rules", "packages/emulator", "packages/cli", "packages/action"];
const versionOf = (dir: string): string => (JSON.parse(readFileSync(resolve(REPO_ROOT, dir, "package.json"), "utf8")) as { version: string }).version;
const VERSION = versionOf("packages/cli");

describe("the version", () => {
  it("is one for all packages, and CHANGELOG.md has an entry for it", () => {
    expect(VERSION).toMatch(/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/);
    expect(Object.fromEntries(PACKAGES.map((d) => [d, versionOf(d)]))).toEqual(Object.fromEntries(PACKAGES.map((d) => [d, VERSION])));
    expect(readFileSync(resolve(REPO_ROOT, "CHANGELOG.md"), "utf8")).toContain(`## ${VERSION} `);
  });

  it("is what --version prints first, with the commit of a build from git", () => {
    const r = trustscope(["--version"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    const head = (/^\S+/.exec(r.stdout) ?? [""])[0];
    expect(head).toBe(VERSION);
    // The workspace build is made from this git checkout.
    expect(r.stdout).toMatch(new RegExp(`^${VERSION.replace(/\./g, "\\.")} \\(commit [0-9a-f]{12}\\)\\n$`));
    expect(trustscope(["-V"]).stdout).toBe(r.stdout);
  });

  it("is what the JSON and SARIF reports carry", () => {
    const json = JSON.parse(trustscope(["scan", "--snapshot", DEMO_SNAPSHOT, "--format", "json"]).stdout) as { tool: { name: string; version: string } };
    expect(json.tool).toEqual({ name: "trustscope", version: VERSION });
    const sarif = JSON.parse(trustscope(["scan", "--snapshot", DEMO_SNAPSHOT, "--format", "sarif"]).stdout) as { runs: { tool: { driver: { version: string } } }[] };
    expect(sarif.runs[0]!.tool.driver.version).toBe(VERSION);
  });
});
