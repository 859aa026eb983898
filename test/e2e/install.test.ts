/**
 * The CLI installed as a user installs it: the four packages packed (`pnpm pack`, prepack builds
 * dist/) and installed with plain npm into a temporary directory outside the workspace, globally
 * (`npm i -g --prefix`) and into a plain project (`npm i`, then `npx trustscope`). From there it
 * runs without tsx and without TypeScript sources, and every command prints exactly what the
 * workspace's CLI prints: stdout, stderr and exit code, byte for byte, from the same directory
 * with the same environment.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { delimiter, dirname, join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packAndInstall, userEnv, type Installation } from "../../scripts/pack-install.ts";
import { cliEnv, runCli } from "../support/cli.ts";
import { CLI_BIN, DEMO_SNAPSHOT } from "../support/paths.ts";

let installed: Installation;
/** The directory both CLIs run in: outside the workspace, holding the snapshot and the fixture repository. */
let cwd: string;

// The installed bin is run as a shell runs it (its `#!/usr/bin/env node` line), with this Node
// first on PATH so that both CLIs run on the same Node, and both with the tests' CLI environment.
const PATH = `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ""}`;
const spawnCli = (cmd: string, args: string[]) => runCli(cmd, args, { cwd, env: { PATH }, timeoutMs: 90_000 });
const fromInstall = (args: string[]) => spawnCli(installed.global.bin, args);
const fromWorkspace = (args: string[]) => spawnCli(process.execPath, [CLI_BIN, ...args]);

/** Every file under `dir`, relative to it, with '/' separators. */
function walk(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const abs = join(dir, e.name);
    return e.isDirectory() ? walk(abs, base) : [relative(base, abs).split("\\").join("/")];
  });
}

// A repository as `scan --repo` meets one: a client secret in a step, and a token requested once
// and handed to another step through an artifact.
const PIPELINE = `steps:
  - label: ":azure: deploy"
    branches: main
    env:
      ARM_CLIENT_ID: "c0ffee05-5555-4aaa-8bbb-000000000005"
    secrets:
      ARM_CLIENT_SECRET: azure-sp-client-secret
    command: |
      az login --service-principal -u "$$ARM_CLIENT_ID" -p "$$ARM_CLIENT_SECRET" --tenant "$$ARM_TENANT_ID"

  - label: ":key: token"
    key: token
    branches: main
    artifact_paths: "tmp/*.jwt"
    command: buildkite-agent oidc request-token --audience api://AzureADTokenExchange > tmp/azure.jwt

  - label: ":azure: use it"
    depends_on: token
    branches: main
    command: |
      buildkite-agent artifact download "tmp/*.jwt" .
      az login --service-principal -u "$$AZURE_CLIENT_ID" -t "$$AZURE_TENANT_ID" --federated-token "$$(cat tmp/azure.jwt)"
`;

beforeAll(async () => {
  installed = await packAndInstall({ local: true });
  cwd = join(installed.dir, "work");
  mkdirSync(join(cwd, "repo", ".buildkite"), { recursive: true });
  writeFileSync(join(cwd, "repo", ".buildkite", "pipeline.yml"), PIPELINE);
  copyFileSync(DEMO_SNAPSHOT, join(cwd, "organisation.json"));
}, 600_000);

afterAll(() => installed?.cleanup());

describe("the installed package", () => {
  it("runs without tsx: its bin files name no tsx, and tsx is not installed", () => {
    const binFile = join(installed.global.packageDir, "bin", "trustscope.js");
    for (const bin of [installed.global.bin, installed.local!.bin, binFile]) {
      expect(readFileSync(bin, "utf8"), bin).not.toMatch(/\btsx\b/);
    }
    // Both command links lead to the package's bin file.
    expect(realpathSync(installed.global.bin)).toBe(realpathSync(binFile));
    expect(realpathSync(installed.local!.bin)).toBe(realpathSync(join(installed.local!.project, "node_modules/@trustscope/cli/bin/trustscope.js")));
    const trees = [join(installed.global.prefix, "lib/node_modules"), join(installed.local!.project, "node_modules")];
    for (const tree of trees) expect(walk(tree).filter((f) => /(^|\/)tsx\/package\.json$/.test(f)), tree).toEqual([]);
  });

  it("holds no TypeScript sources of its own, only built JavaScript and declarations", () => {
    const files = walk(join(installed.global.prefix, "lib/node_modules/@trustscope")).filter((f) => !f.includes("/node_modules/"));
    expect(files.filter((f) => f.split("/")[1] === "src")).toEqual([]);
    expect(files.filter((f) => /\.[cm]?ts$/.test(f) && !/\.d\.[cm]?ts$/.test(f))).toEqual([]);
    expect(files).toContain("cli/dist/index.js");
    expect(files).toContain("core/dist/index.js");
    expect(files).toContain("core/dist/src/index.d.ts");
  });

  it("answers npx trustscope in a plain project it was installed into", () => {
    // Without the npm_* settings `pnpm vitest` exports, which npx would read as its configuration.
    // --yes=false: never fetch a package of that name from the registry instead (that is no test).
    const r = spawnSync("npx", ["--yes=false", "trustscope", "--version"], { cwd: installed.local!.project, env: userEnv(cliEnv({ PATH })), encoding: "utf8", timeout: 90_000 });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(fromWorkspace(["--version"]).stdout);
    expect(r.status).toBe(0);
  });
});

describe("installed and workspace CLIs print the same", () => {
  const SAME: [string, string[]][] = [
    ["--version", ["--version"]],
    ["--help", ["--help"]],
    ["rules", ["rules"]],
    ["explain", ["explain", "org-scoped-trust"]],
    ["explain, unknown rule", ["explain", "no-such-rule"]],
    ["a usage error", ["scan", "--no-such-option"]],
    ["scan --demo", ["scan", "--demo"]],
    ["scan --snapshot", ["scan", "--snapshot", "organisation.json"]],
    ["scan --snapshot --format json", ["scan", "--snapshot", "organisation.json", "--format", "json"]],
    ["scan --snapshot --format sarif", ["scan", "--snapshot", "organisation.json", "--format", "sarif"]],
    ["scan --repo", ["scan", "--repo", "repo"]],
    ["scan --repo --format sarif", ["scan", "--repo", "repo", "--format", "sarif"]],
  ];
  for (const [name, args] of SAME) {
    it(name, () => {
      const want = fromWorkspace(args);
      expect(fromInstall(args)).toEqual(want);
      // Guards against two CLIs that agree on printing nothing.
      expect(want.stdout + want.stderr).not.toBe("");
    });
  }

  it("scan --demo --format sarif, whose cloud findings point at the demo scenario inside the package", () => {
    // The SARIF anchor of the demo's findings is the bundled scenario file, relative to the
    // working directory: the one thing that differs is where the package is installed.
    const uri = (file: string) => relative(cwd, file).split(/[\\/]/).map(encodeURIComponent).join("/");
    const installedUri = uri(join(installed.global.packageDir, "demo/organisation.json"));
    const workspaceUri = uri(DEMO_SNAPSHOT);
    const want = fromWorkspace(["scan", "--demo", "--format", "sarif"]);
    const got = fromInstall(["scan", "--demo", "--format", "sarif"]);
    expect(got.stdout).toContain(`"uri": ${JSON.stringify(installedUri)}`);
    expect(want.stdout).toContain(`"uri": ${JSON.stringify(workspaceUri)}`);
    expect({ ...got, stdout: got.stdout.replaceAll(`"uri": ${JSON.stringify(installedUri)}`, `"uri": ${JSON.stringify(workspaceUri)}`) }).toEqual(want);
  });

  it("scan --format html writes the same self-contained page", () => {
    const args = (out: string) => ["scan", "--snapshot", "organisation.json", "--format", "html", "-o", out];
    const got = fromInstall(args("installed.html"));
    const want = fromWorkspace(args("workspace.html"));
    expect(got).toEqual(want);
    const page = readFileSync(join(cwd, "installed.html"), "utf8");
    expect(page).toMatch(/^<!doctype html>/i);
    expect(page.trimEnd()).toMatch(/<\/html>$/);
    expect(page).toBe(readFileSync(join(cwd, "workspace.html"), "utf8"));
  });
});
