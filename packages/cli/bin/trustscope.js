#!/usr/bin/env node
// The installed command: the CLI built to JavaScript (dist/, by scripts/build.ts). In a checkout,
// `pnpm build` makes it (the tests and `pnpm trustscope` build it first).
try {
  const { main } = await import("../dist/index.js");
  process.exitCode = await main(process.argv.slice(2));
} catch (e) {
  // Only a broken installation gets here (main() maps its own errors): one line, no stack.
  const missing = e && e.code === "ERR_MODULE_NOT_FOUND";
  process.stderr.write(
    `trustscope: internal error while starting: ${e instanceof Error ? e.message : String(e)}${missing ? " (in a checkout, run 'pnpm build' first)" : ""}\n`,
  );
  if (process.env.TRUSTSCOPE_DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`);
  process.exitCode = 4;
}
