/**
 * The action's entry point (action.yml's `runs.main`, dist/index.js). The runner runs
 * `node dist/index.js` with no flags, so source maps are switched on here, before the rest is
 * loaded: Node reads the map of a module loaded after this call only, and a static import would
 * be loaded before this module's first line runs. With them, a stack trace names the sources.
 */
process.setSourceMapsEnabled(true);
await import("./main.ts");
