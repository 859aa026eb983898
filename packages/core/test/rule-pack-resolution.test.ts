/**
 * How a policy's `rules:` entry finds its module: paths (files and directories) and package names
 * with an optional subpath, through the package's own `exports` the way Node's `import` reads them.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadRulePacks } from "../src/index.ts";

const root = mkdtempSync(join(tmpdir(), "trustscope-resolve-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A rule module whose id names the file it is in, so a test sees which one was picked. */
function ruleModule(id: string): string {
  const meta = { id, title: `Title of ${id}`, defaultSeverity: "medium", description: "What and why.", tags: ["custom"], docs: `# ${id}` };
  return `export default { meta: ${JSON.stringify(meta)}, check() { return []; } };\n`;
}

function write(rel: string, text: string): void {
  const file = join(root, rel);
  mkdirSync(join(file, ".."), { recursive: true });
  writeFileSync(file, text);
}

/** A package under root/node_modules with its manifest and (rule module) files. */
function pkg(name: string, manifest: Record<string, unknown>, files: string[]): void {
  write(`node_modules/${name}/package.json`, JSON.stringify({ name, type: "module", ...manifest }));
  files.forEach((f, i) => write(`node_modules/${name}/${f}`, ruleModule(`rule-${i}`)));
}

const ref = (spec: string) => ({ spec, location: { file: "trustscope.yaml", line: 4 } });

/** The file a spec loads, relative to root. */
async function resolved(spec: string): Promise<string> {
  const packs = await loadRulePacks([ref(spec)], { baseDir: root });
  expect(packs).toHaveLength(1);
  return relative(root, packs[0]!.file).split("\\").join("/");
}

describe("a package's exports: conditions in the package's own key order", () => {
  pkg("node-first", { exports: { node: "./node.mjs", import: "./import.mjs" } }, ["node.mjs", "import.mjs"]);
  pkg("default-first", { exports: { ".": { default: "./default.mjs", import: "./import.mjs" } } }, ["default.mjs", "import.mjs"]);
  pkg("require-first", { exports: { require: "./x.cjs", import: "./x.mjs" } }, ["x.cjs", "x.mjs"]);
  pkg("nested", { exports: { ".": { node: { default: "./node-default.mjs", import: "./node-import.mjs" }, import: "./import.mjs" } } }, ["node-default.mjs", "node-import.mjs", "import.mjs"]);
  pkg("nested-miss", { exports: { node: { require: "./node.cjs" }, default: "./default.mjs" } }, ["node.cjs", "default.mjs"]);
  pkg("fallbacks", { exports: { ".": ["not-relative.mjs", { require: "./r.cjs" }, "./fallback.mjs"] } }, ["not-relative.mjs", "r.cjs", "fallback.mjs"]);

  it("takes the first key that is an active condition (import, node, default), not a fixed preference", async () => {
    expect(await resolved("node-first")).toBe("node_modules/node-first/node.mjs");
    expect(await resolved("default-first")).toBe("node_modules/default-first/default.mjs");
    expect(await resolved("require-first")).toBe("node_modules/require-first/x.mjs");
  });

  it("reads nested conditions in their order, and goes on to the next key when a nested one matches nothing", async () => {
    expect(await resolved("nested")).toBe("node_modules/nested/node-default.mjs");
    expect(await resolved("nested-miss")).toBe("node_modules/nested-miss/default.mjs");
  });

  it("takes the first fallback of a list that resolves, skipping targets that do not start with ./", async () => {
    expect(await resolved("fallbacks")).toBe("node_modules/fallbacks/fallback.mjs");
  });
});

describe("a package's subpaths", () => {
  pkg(
    "@acme/patterns",
    { exports: { ".": "./dist/index.js", "./*": "./dist/*.js", "./internal/*": null, "./special/*": "./special-dist/*.js", "./rules/*.mjs": { import: "./src/*.mjs" } } },
    ["dist/index.js", "dist/alpha.js", "dist/internal.js", "dist/internal/secret.js", "dist/special/x.js", "special-dist/x.js", "src/beta.mjs"],
  );
  pkg("@acme/plain", { main: "./main.js" }, ["main.js", "dist/index.js", "packs/strict/index.js"]);
  pkg("@acme/exported", { exports: { ".": "./dist/index.js", "./extra": "./dist/extra.js" } }, ["dist/index.js", "dist/extra.js"]);

  it("maps a `./*` pattern, with `*` replaced in the target", async () => {
    expect(await resolved("@acme/patterns/alpha")).toBe("node_modules/@acme/patterns/dist/alpha.js");
    expect(await resolved("@acme/patterns/rules/beta.mjs")).toBe("node_modules/@acme/patterns/src/beta.mjs");
  });

  it("lets the longest matching prefix win", async () => {
    expect(await resolved("@acme/patterns/special/x")).toBe("node_modules/@acme/patterns/special-dist/x.js");
  });

  it("does not export what a null target excludes, though the file exists and a broader pattern matches", async () => {
    expect(await resolved("@acme/patterns/internal")).toBe("node_modules/@acme/patterns/dist/internal.js");
    await expect(resolved("@acme/patterns/internal/secret")).rejects.toThrow(/^trustscope\.yaml:4: rule pack '@acme\/patterns\/internal\/secret': the package does not export '\.\/internal\/secret' for import/);
  });

  it("refuses a subpath that walks out of what a pattern exports", async () => {
    await expect(resolved("@acme/patterns/x/../internal/secret")).rejects.toThrow(/^trustscope\.yaml:4: rule pack '@acme\/patterns\/x\/\.\.\/internal\/secret': the subpath '\.\/x\/\.\.\/internal\/secret' is not valid: 'x\/\.\.\/internal\/secret' has a '\.', '\.\.' or node_modules segment/);
  });

  it("reads a specifier ending in .js as a package subpath, not a path", async () => {
    expect(await resolved("@acme/plain/dist/index.js")).toBe("node_modules/@acme/plain/dist/index.js");
    expect(await resolved("@acme/plain")).toBe("node_modules/@acme/plain/main.js");
    expect(await resolved("@acme/plain/packs/strict")).toBe("node_modules/@acme/plain/packs/strict/index.js");
  });

  it("needs the subpath exported when the package has exports", async () => {
    expect(await resolved("@acme/exported/extra")).toBe("node_modules/@acme/exported/dist/extra.js");
    await expect(resolved("@acme/exported/dist/index.js")).rejects.toThrow(/^trustscope\.yaml:4: rule pack '@acme\/exported\/dist\/index\.js': the package does not export '\.\/dist\/index\.js' for import/);
  });

  it("keeps a subpath inside the package, and says a name that is no path needs ./", async () => {
    await expect(resolved("@acme/plain/../exported/dist/index.js")).rejects.toThrow(/its entry point leaves the package directory/);
    write("local/a.mjs", ruleModule("local-rule"));
    await expect(resolved("local/a.mjs")).rejects.toThrow(/rule pack 'local\/a\.mjs' is neither a path \(start it with \.\/\) nor an installed package/);
    expect(await resolved("./local/a.mjs")).toBe("local/a.mjs");
  });
});

describe("invalid exports", () => {
  pkg("mixed", { exports: { ".": "./a.mjs", import: "./a.mjs" } }, ["a.mjs"]);
  pkg("escapes", { exports: { ".": "./../escapes-target.mjs" } }, []);
  write("node_modules/escapes-target.mjs", ruleModule("outside"));

  it("are usage errors naming the manifest and the reason", async () => {
    await expect(resolved("mixed")).rejects.toThrow(/^trustscope\.yaml:4: rule pack 'mixed': the 'exports' of .*mixed[\\/]package\.json are invalid: it mixes subpaths/);
    await expect(resolved("escapes")).rejects.toThrow(/the 'exports' of .* are invalid: target '\.\/\.\.\/escapes-target\.mjs' has a '\.', '\.\.' or node_modules segment/);
  });
});

describe("hostile package manifests stay bounded and end in one line", () => {
  // A nesting far past the limit (written as text: JSON.stringify would overflow the stack itself);
  // the resolver would otherwise recurse until the stack overflows.
  let deep = '"./a.mjs"';
  for (let i = 0; i < 20_000; i++) deep = i % 2 ? `{"import":${deep}}` : `[${deep}]`;
  write("node_modules/deep/package.json", `{"name":"deep","type":"module","exports":${deep}}`);
  write("node_modules/deep/a.mjs", ruleModule("deep-rule"));
  let shallow: unknown = "./a.mjs";
  for (let i = 0; i < 8; i++) shallow = i % 2 ? { import: shallow } : [shallow];
  pkg("shallow", { exports: shallow }, ["a.mjs"]);
  // Many invalid fallbacks before the one that resolves: each is skipped, not thrown and caught.
  pkg("many-fallbacks", { exports: [...Array.from({ length: 100_000 }, () => "not-relative.mjs"), "./ok.mjs"] }, ["ok.mjs"]);
  pkg("loop", { main: "./again" }, []);
  symlinkSync(".", join(root, "node_modules/loop/again"));
  pkg("loop2", { main: "./a" }, []);
  write("node_modules/loop2/a/package.json", JSON.stringify({ main: "./b" }));
  symlinkSync("..", join(root, "node_modules/loop2/a/b"));

  it("refuses exports nested deeper than real packages nest, and resolves ordinary nesting", async () => {
    await expect(resolved("deep")).rejects.toThrow(/^trustscope\.yaml:4: rule pack 'deep': the 'exports' of .*deep[\\/]package\.json are invalid: it nests conditions or fallback lists more than 32 levels deep$/);
    expect(await resolved("shallow")).toBe("node_modules/shallow/a.mjs");
  });

  it("skips any number of invalid fallbacks to the one that resolves", async () => {
    expect(await resolved("many-fallbacks")).toBe("node_modules/many-fallbacks/ok.mjs");
  });

  it("ends a main that leads back to its own directory through a symlink, as a package or a path", async () => {
    const loop = /its entry point .*again leads back to a directory it came through \(a symlink loop\)$/;
    await expect(resolved("loop")).rejects.toThrow(loop);
    await expect(resolved("./node_modules/loop")).rejects.toThrow(loop);
    await expect(resolved("loop2")).rejects.toThrow(/^trustscope\.yaml:4: rule pack 'loop2': its entry point .*loop2[\\/]a[\\/]b leads back to a directory it came through \(a symlink loop\)$/);
  });
});

describe("a path that names a directory", () => {
  write("packs/package.json", JSON.stringify({ type: "module" }));
  write("packs/with-exports/package.json", JSON.stringify({ type: "module", main: "./main.mjs", exports: { ".": { require: "./lib/rule.cjs", import: "./lib/rule.mjs" } } }));
  write("packs/with-exports/lib/rule.mjs", ruleModule("exports-rule"));
  write("packs/with-exports/main.mjs", ruleModule("main-rule"));
  write("packs/with-main/package.json", JSON.stringify({ type: "module", main: "./src/main.mjs" }));
  write("packs/with-main/src/main.mjs", ruleModule("main-rule"));
  write("packs/bare-manifest/package.json", JSON.stringify({ type: "module" }));
  write("packs/bare-manifest/index.js", ruleModule("index-rule"));
  write("packs/only-index/index.js", ruleModule("index-rule"));
  write("packs/leaves/package.json", JSON.stringify({ main: "../only-index/index.js" }));
  write("packs/neither/README.md", "no module here");

  it("loads through its package.json: exports first, then main, then index.js", async () => {
    expect(await resolved("./packs/with-exports")).toBe("packs/with-exports/lib/rule.mjs");
    expect(await resolved("./packs/with-main/")).toBe("packs/with-main/src/main.mjs");
    expect(await resolved("./packs/bare-manifest")).toBe("packs/bare-manifest/index.js");
  });

  it("loads its index.js when it has no package.json", async () => {
    expect(await resolved("./packs/only-index")).toBe("packs/only-index/index.js");
    expect(await resolved(join(root, "packs/only-index"))).toBe("packs/only-index/index.js");
  });

  it("says what it looked for when there is neither, and keeps the entry point inside the directory", async () => {
    await expect(resolved("./packs/neither")).rejects.toThrow(
      new RegExp(`^trustscope\\.yaml:4: rule pack '\\./packs/neither' is a directory with neither a package\\.json nor an index\\.js \\(looked in .*neither\\)$`),
    );
    await expect(resolved("./packs/leaves")).rejects.toThrow(/^trustscope\.yaml:4: rule pack '\.\/packs\/leaves': its entry point leaves the package directory$/);
  });
});

describe("agreement with Node's own resolver", () => {
  pkg("agree", {
    exports: {
      ".": { "module-sync": "./sync.mjs", require: "./r.cjs", import: "./import.mjs" },
      "./*": { node: { default: "./node/*.mjs" }, import: "./import/*.mjs" },
      "./a/*": "./a/*.mjs",
      "./a/b/*": "./ab/*.mjs",
      "./a/b/*.mjs": "./abm/*.mjs",
      "./a/hidden/*": null,
      "./list": [{ worker: "./worker.mjs" }, "./listed.mjs"],
    },
  }, ["sync.mjs", "r.cjs", "import.mjs", "node/x.mjs", "import/x.mjs", "a/x.mjs", "a/b/y.mjs", "ab/y.mjs", "abm/y.mjs", "a/hidden/z.mjs", "worker.mjs", "listed.mjs"]);

  it("resolves every specifier to the file `import` would load, or refuses it as Node does", async () => {
    const specs = ["agree", "agree/x", "agree/a/x", "agree/a/b/y", "agree/a/b/y.mjs", "agree/a/hidden/z", "agree/list", "agree/a/../x", "agree/a/node_modules/x"];
    const script = `for (const s of ${JSON.stringify(specs)}) { let r = null; try { r = new URL(import.meta.resolve(s)).pathname; } catch {} console.log(JSON.stringify(r)); }`;
    const node = execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: root, encoding: "utf8" })
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as string | null);
    const ours = await Promise.all(specs.map((s) => resolved(s).then((file) => join(root, file), () => null)));
    // Node's answers are URL paths of the real directory (tmpdir may be a symlink, as on macOS).
    const tail = (p: string | null) => p && p.slice(p.lastIndexOf("/node_modules/"));
    expect(ours.map((p) => tail(p && p.split("\\").join("/")))).toEqual(node.map(tail));
    expect(ours.filter((p) => p === null)).toHaveLength(3); // hidden, and the two with a '..' or node_modules segment
  });
});
