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
    // Vitest's default is one worker fewer than the cores: one file at a time on a 2-core machine,
    // while most files spend much of their time waiting (PGlite loads, child processes, sockets).
    maxWorkers: 2,
    // Each worker keeps its imported modules between test files instead of re-importing the
    // app's ~900 modules per file (about 1.3 s each). Safe because no source module holds state
    // a test could leak: caches live on the context, and every file opens its own database.
    isolate: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // expect.poll waits on state, never a fixed sleep; its 1 s default is too short on a loaded machine.
    expect: { poll: { timeout: 20_000, interval: 20 } },
  },
});
