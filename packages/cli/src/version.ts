import { readFileSync } from "node:fs";

const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string; homepage: string };

export const VERSION: string = pkg.version;
export const HOMEPAGE: string = pkg.homepage;
