import { defineConfig } from "vitest/config";

// In-process tests import the workspace packages' TypeScript sources (the condition their
// `exports` name them under); spawned CLIs run the built dist/, which globalSetup builds first.
const conditions = ["@trustscope/source"];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: conditions } },
  test: {
    globalSetup: ["./test/support/build-packages.ts"],
    include: ["packages/*/test/**/*.test.ts", "rules/test/**/*.test.ts", "rules/examples/**/*.test.ts", "test/**/*.test.ts", "bench/test/**/*.test.ts"],
    // End-to-end tests spawn the CLI; give them room on a 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    reporters: ["default", "./test/support/summary-reporter.ts"],
  },
});
