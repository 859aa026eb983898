/**
 * Run-time asset reads in workspace sources, made safe for a bundle: a file read next to a
 * source module (`readFileSync(new URL("./x", import.meta.url))`) becomes a string constant, and
 * other module-relative URLs are rebased onto the bundle's location. Used by the package builds
 * (scripts/build.ts) and the GitHub Action's bundle (packages/action/scripts/build.ts).
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { Plugin } from "esbuild";

const REPO_ROOT = fileURLToPath(new URL("..", import.meta.url));

const STR = String.raw`(?<q>["'])([^"'\\\n]+)\k<q>`;
const META_URL = String.raw`new URL\(\s*${STR}\s*,\s*import\.meta\.url\s*\)`;
/** `, "utf8"` as the encoding argument; `group` is the number its quote's capture group gets. */
const utf8 = (group: number): string => `\\s*,\\s*(["'])utf-?8\\${group}\\s*`;

export function posix(p: string): string {
  return p.split(sep).join("/");
}

/**
 * Rewrites the run-time asset reads of one workspace source file:
 *
 * - `readFileSync(new URL("./x", import.meta.url), "utf8")` becomes the file's text, a string constant;
 * - `const NAME = fileURLToPath(new URL("./x", import.meta.url))` stays a path (rebased onto the
 *   bundle's committed location, so as a display string it still names the real file in a checkout),
 *   and `readFileSync(NAME, "utf8")` in the same file becomes the file's text;
 * - any other `new URL("./x", import.meta.url)` is rebased onto the bundle's location.
 *
 * Returns the new source and the assets it read (for warnings and watch lists).
 */
export function inlineAssets(source: string, file: string, distFile: string): { contents: string; assets: string[]; warnings: string[] } {
  const dir = dirname(file);
  const assets: string[] = [];
  const warnings: string[] = [];
  const read = (rel: string): string => {
    const abs = resolve(dir, rel);
    if (!existsSync(abs) || !statSync(abs).isFile()) throw new Error(`${posix(relative(REPO_ROOT, file))}: asset '${rel}' does not exist (${abs})`);
    assets.push(abs);
    return readFileSync(abs, "utf8");
  };
  const rebase = (rel: string): string => {
    const abs = resolve(dir, rel);
    if (!existsSync(abs)) throw new Error(`${posix(relative(REPO_ROOT, file))}: asset '${rel}' does not exist (${abs})`);
    let out = posix(relative(dirname(distFile), abs));
    if (!out.startsWith(".")) out = `./${out}`;
    if (rel.endsWith("/") && !out.endsWith("/")) out += "/";
    return out;
  };
  const relativeLiteral = (rel: string): boolean => rel.startsWith("./") || rel.startsWith("../");

  let out = source.replace(new RegExp(String.raw`\breadFileSync\(\s*${META_URL}${utf8(3)}\)`, "g"), (whole, _q: string, rel: string) =>
    relativeLiteral(rel) ? JSON.stringify(read(rel)) : whole,
  );

  const pathConstants = new Map<string, string>();
  for (const m of out.matchAll(new RegExp(String.raw`\b(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*=\s*fileURLToPath\(\s*${META_URL}\s*\)`, "g"))) {
    if (relativeLiteral(m[3]!)) pathConstants.set(m[1]!, m[3]!);
  }
  for (const [name, rel] of pathConstants) {
    out = out.replace(new RegExp(String.raw`\breadFileSync\(\s*${name.replace(/\$/g, "\\$")}${utf8(1)}\)`, "g"), () => JSON.stringify(read(rel)));
  }

  out = out.replace(new RegExp(META_URL, "g"), (whole, q: string, rel: string) => (relativeLiteral(rel) ? `new URL(${q}${rebase(rel)}${q}, import.meta.url)` : whole));

  const left = out.replace(new RegExp(META_URL, "g"), "").match(/import\.meta\.url/g);
  if (left) warnings.push(`${posix(relative(REPO_ROOT, file))}: import.meta.url is used in a form the bundler cannot rebase; it will point at dist/index.js`);
  return { contents: out, assets, warnings };
}

/** The esbuild plugin around {@link inlineAssets}, for the workspace's TypeScript sources. */
export function inlineAssetsPlugin(distFile: string): Plugin {
  return {
    name: "trustscope-inline-assets",
    setup(b) {
      b.onLoad({ filter: /\.[cm]?ts$/ }, (args) => {
        if (args.path.includes(`${sep}node_modules${sep}`)) return undefined;
        const source = readFileSync(args.path, "utf8");
        if (!source.includes("import.meta.url")) return undefined;
        const { contents, assets, warnings } = inlineAssets(source, args.path, distFile);
        return { contents, loader: "ts", watchFiles: assets, warnings: warnings.map((text) => ({ text })) };
      });
    },
  };
}
