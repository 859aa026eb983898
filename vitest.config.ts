import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["packages/*/test/**/*.test.ts", "rules/test/**/*.test.ts", "rules/examples/**/*.test.ts", "test/**/*.test.ts", "bench/test/**/*.test.ts"],
    // End-to-end tests spawn the CLI; give them room on a 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    reporters: ["default", "./test/support/summary-reporter.ts"],
  },
});
