/**
 * The committed bundle is what GitHub runs: it must be exactly what the build makes from the
 * sources today, need nothing but Node's built-in modules, load none of the cloud SDKs for a
 * repository scan, and name the sources in a stack trace.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildAction, type BuildResult } from "../scripts/build.ts";
import { BUNDLE, makeRepo, runAction, runnerFiles, startFakeGitHub } from "./support.ts";

const DIST = dirname(BUNDLE);
const REPO_ROOT = resolve(DIST, "../../..");
/** Build outputs are named in the metafile relative to the repository root. */
const META_PREFIX = "packages/action/dist/";

/** What only a live scan (or --demo, or --format html) needs, by the metafile's input paths. */
const NOT_FOR_A_REPOSITORY_SCAN: Record<string, RegExp> = {
  "@azure/*": /(?:^|\/)node_modules\/@azure\//,
  "@microsoft/microsoft-graph-client": /(?:^|\/)node_modules\/@microsoft\/microsoft-graph-client\//,
  "graphql-request": /(?:^|\/)node_modules\/graphql-request\//,
  graphql: /(?:^|\/)node_modules\/graphql\//,
  undici: /(?:^|\/)node_modules\/undici\//,
  selfsigned: /(?:^|\/)node_modules\/selfsigned\//,
  // @trustscope/core/collect and the modules only it uses (its SDK-free helpers, such as the cloud
  // names the CLI's options check, may load).
  "the collectors": /^packages\/core\/src\/collect\/(?:index|collect|arm|graph|buildkite|credentials)\.ts$/,
  "the Buildkite OIDC credential": /^packages\/cli\/src\/buildkite\/oidc-credential\.ts$/,
  "the emulator": /^packages\/emulator\//,
  "the HTML report": /^packages\/core\/src\/report\/html\.ts$/,
};

let fresh: BuildResult;
let freshDir: string;
const temps: string[] = [];

function temp(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temps.push(dir);
  return dir;
}

/** The metafile's inputs of one output file of the bundle. */
function inputsOf(name: string): string[] {
  const output = fresh.metafile.outputs[META_PREFIX + name];
  if (!output) throw new Error(`${name} is not an output of the build`);
  return Object.keys(output.inputs);
}

beforeAll(async () => {
  freshDir = temp("trustscope-action-build-");
  fresh = await buildAction(freshDir);
}, 60_000);

afterAll(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("dist/", () => {
  it("is up to date: a fresh build makes the same files with the same bytes (run `pnpm --filter @trustscope/action build` and commit)", () => {
    const names = fresh.files.map((f) => f.name);
    expect(readdirSync(freshDir).sort(), "the build wrote what it reports").toEqual(names);
    // The whole set: a stale chunk left beside the current ones fails as surely as a changed one.
    expect(readdirSync(DIST).sort(), "the files in dist/ differ: rebuild it").toEqual(names);
    for (const { name } of fresh.files) {
      expect(readFileSync(join(DIST, name)).equals(readFileSync(join(freshDir, name))), `${name} differs: rebuild dist/`).toBe(true);
    }
    expect(names).toContain("index.js");
    expect(names.filter((n) => n.endsWith(".js")).length, "split into chunks").toBeGreaterThan(3);
  });

  it("a build over an earlier one removes the outputs it no longer makes, and nothing else", async () => {
    const dir = temp("trustscope-action-rebuild-");
    const stale = ["chunk-STALE000.js", "chunk-STALE000.js.map"];
    for (const name of [...stale, "notes.txt"]) writeFileSync(join(dir, name), "earlier\n");
    const again = await buildAction(dir);
    expect(again.removed).toEqual(stale);
    expect(readdirSync(dir).sort()).toEqual([...fresh.files.map((f) => f.name), "notes.txt"].sort());
  }, 60_000);

  it("is minified, and every file has a source map naming files of this checkout", () => {
    const js = fresh.files.filter((f) => f.name.endsWith(".js"));
    for (const { name } of js) {
      const text = readFileSync(join(DIST, name), "utf8");
      expect(text.trimEnd().endsWith(`//# sourceMappingURL=${name}.map`), name).toBe(true);
      const map = JSON.parse(readFileSync(join(DIST, `${name}.map`), "utf8")) as { sources: string[]; sourcesContent?: unknown };
      expect(map.sourcesContent, `${name}.map carries no source text`).toBeUndefined();
      // Relative to the committed dist/, whatever directory the build wrote to: the workspace's
      // sources exist there (a dependency's own map may name sources it does not publish).
      for (const source of map.sources) {
        const path = resolve(DIST, source);
        expect(path.startsWith(REPO_ROOT + sep), `${name}.map: ${source} is outside the repository`).toBe(true);
        if (!path.includes(`${sep}node_modules${sep}`)) expect(existsSync(path), `${name}.map: ${source}`).toBe(true);
      }
    }
    const main = readFileSync(join(DIST, js.reduce((a, b) => (b.bytes > a.bytes ? b : a)).name), "utf8");
    // Minified: few, long lines (the legal comments at the end are the rest).
    expect(main.split("\n").length).toBeLessThan(main.length / 1000);
  });

  it("imports and requires only Node's built-in modules and its own files", () => {
    const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
    const names = new Set(fresh.files.map((f) => f.name));
    const external = new Set<string>();
    for (const [out, { imports }] of Object.entries(fresh.metafile.outputs)) {
      for (const i of imports) {
        if (i.external) external.add(i.path);
        else expect(i.path.startsWith(META_PREFIX) && names.has(i.path.slice(META_PREFIX.length)), `${out} imports ${i.path}`).toBe(true);
      }
    }
    // `debug` probes for supports-color inside a try block; its absence is expected.
    expect([...external].filter((s) => !builtins.has(s) && s !== "supports-color")).toEqual([]);
    expect(external.size).toBeGreaterThan(5);
  });
});

describe("the committed bundle at run time", () => {
  it("a repository scan loads only files of dist/, and none that holds a cloud SDK, the collectors or the emulator", async () => {
    const gh = await startFakeGitHub();
    try {
      // A module hook that records every module Node loads; the runner sets no NODE_OPTIONS.
      const hooks = temp("trustscope-action-hooks-");
      const log = join(hooks, "loaded.txt");
      writeFileSync(join(hooks, "hooks.mjs"), `import { appendFileSync } from "node:fs";\nexport async function load(url, context, next) {\n  appendFileSync(${JSON.stringify(log)}, url + "\\n");\n  return next(url, context);\n}\n`);
      writeFileSync(join(hooks, "register.mjs"), `import { register } from "node:module";\nregister("./hooks.mjs", import.meta.url);\n`);
      const repo = makeRepo(3);
      temps.push(repo);
      const files = runnerFiles({});
      temps.push(files.dir);
      const run = await runAction({ workspace: repo, files, apiUrl: gh.apiUrl, eventName: "push", env: { NODE_OPTIONS: `--import=${pathToFileURL(join(hooks, "register.mjs")).href}` } });
      expect(run.code, run.stdout + run.stderr).toBe(1);
      expect(gh.requests).toHaveLength(1); // the check run: Octokit is loaded whenever there is a token

      const urls = readFileSync(log, "utf8").split("\n").filter((u) => u.startsWith("file:"));
      const paths = urls.map((u) => fileURLToPath(u)).filter((p) => dirname(p) !== hooks);
      expect(paths.filter((p) => dirname(p) !== DIST), "loaded from outside dist/").toEqual([]);
      const loaded = paths.map((p) => basename(p));
      expect(loaded[0]).toBe("index.js");
      expect(loaded.length).toBeGreaterThan(2);

      const all = fresh.files.filter((f) => f.name.endsWith(".js")).map((f) => f.name);
      for (const [what, pattern] of Object.entries(NOT_FOR_A_REPOSITORY_SCAN)) {
        // In the bundle (so the pattern still means something), but not where a repository scan looks.
        expect(all.some((name) => inputsOf(name).some((i) => pattern.test(i))), `${what} is in the bundle`).toBe(true);
        expect(loaded.flatMap((name) => inputsOf(name).filter((i) => pattern.test(i)).map((i) => `${name}: ${i}`)), `${what} is loaded`).toEqual([]);
      }
    } finally {
      await gh.close();
    }
  }, 60_000);

  it("with TRUSTSCOPE_DEBUG, an internal error's stack trace names the source files, not the bundle's", async () => {
    const gh = await startFakeGitHub();
    try {
      const repo = makeRepo(1);
      temps.push(repo);
      // A rule pack whose rule throws when core reads it: an error no code path expects.
      writeFileSync(join(repo, "pack.mjs"), `export default { get meta() { throw new Error("boom from a rule pack"); } };\n`);
      writeFileSync(join(repo, "trustscope.yaml"), "rules:\n  - ./pack.mjs\n");
      const files = runnerFiles({});
      temps.push(files.dir);
      const run = await runAction({ workspace: repo, files, apiUrl: gh.apiUrl, eventName: "push", env: { TRUSTSCOPE_DEBUG: "1" } });
      expect(run.code, run.stdout + run.stderr).toBe(1);
      expect(run.stdout).toMatch(/^::error title=trustscope::trustscope: internal error: boom from a rule pack/m);
      expect(run.stderr).toContain(`(${join(REPO_ROOT, "packages", "core", "src", "engine", "validate-rule.ts")}:`);
      expect(run.stderr).not.toMatch(/\/dist\/[\w.-]+\.js:\d+:\d+/);
    } finally {
      await gh.close();
    }
  }, 60_000);
});
