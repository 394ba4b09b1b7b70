import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: [
      "apps/*/src/**/*.test.ts",
      "packages/*/src/**/*.test.ts",
      "fixtures/*/src/**/*.test.ts",
      "evals/src/**/*.test.ts",
      "bench/src/**/*.test.ts",
    ],
    // Starts or finds the real Postgres for the server-mode suites (skipped, saying why, without it).
    globalSetup: ["./vitest.global-setup.ts"],
    pool: "forks",
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
