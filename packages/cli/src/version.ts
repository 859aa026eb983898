import pkg from "../package.json" with { type: "json" };

/** Set by the package build (scripts/build.ts) to the commit it was built from; empty outside git. */
declare const __TRUSTSCOPE_COMMIT__: string | undefined;

/** The package's version: what `--version` prints and reports carry (`tool.version`, SARIF `driver.version`). */
export const VERSION: string = pkg.version;
export const HOMEPAGE: string = pkg.homepage;
/** The commit this build was made from, when it was built from a git checkout. */
export const COMMIT: string | undefined = typeof __TRUSTSCOPE_COMMIT__ === "string" && __TRUSTSCOPE_COMMIT__ !== "" ? __TRUSTSCOPE_COMMIT__ : undefined;

/** `0.2.0`, or `0.2.0 (commit 1b99911c0ffe)` for a build from git: the version is always the first word. */
export function versionLine(): string {
  return COMMIT ? `${VERSION} (commit ${COMMIT})` : VERSION;
}
