#!/usr/bin/env node
// The CLI is written in TypeScript and runs from source through tsx, so a checkout needs no
// build step after install.
import { register } from "tsx/esm/api";

register();
try {
  const { main } = await import("../src/main.ts");
  process.exitCode = await main(process.argv.slice(2));
} catch (e) {
  // Only a broken installation gets here (main() maps its own errors): one line, no stack.
  process.stderr.write(`trustscope: internal error while starting: ${e instanceof Error ? e.message : String(e)}\n`);
  if (process.env.TRUSTSCOPE_DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`);
  process.exitCode = 4;
}
