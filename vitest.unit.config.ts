// `pnpm test:unit`: the test files of pure modules, no database and no child process, in seconds.
import { defineConfig } from "vitest/config";

/**
 * Listed by hand, by one rule: the file opens no database (PGlite or Postgres), spawns no
 * process and starts no server beyond the in-process fake OpenAI. A new file of that kind
 * belongs here; every file, listed or not, still runs in `pnpm test`.
 */
export const UNIT_TEST_FILES = [
  "apps/api/src/text-hygiene.test.ts",
  "evals/src/metrics.test.ts",
  "evals/src/report.test.ts",
  "fixtures/fake-openai/src/embeddings.test.ts",
  "packages/config/src/config.test.ts",
  "packages/core/src/answering/extractive-answerer.test.ts",
  "packages/core/src/answering/generate-answer.test.ts",
  "packages/core/src/answering/grounded-prompt.test.ts",
  "packages/core/src/citations/enforce-citations.test.ts",
  "packages/core/src/ingestion/chunk-markdown.test.ts",
  "packages/core/src/ingestion/load-folder.test.ts",
  "packages/core/src/ingestion/text-hygiene.test.ts",
  "packages/core/src/retrieval/retrieval-settings.test.ts",
  "packages/providers/src/local-embedder.test.ts",
  "packages/providers/src/openai-chat-model.test.ts",
  "packages/providers/src/openai-embedder.test.ts",
  "packages/providers/src/text-analysis.test.ts",
];

export default defineConfig({
  test: {
    include: UNIT_TEST_FILES,
    // No globalSetup: nothing here needs the real Postgres found or started.
    // Worker threads start faster than forks, and nothing here needs a process of its own.
    pool: "threads",
    maxWorkers: 2,
    testTimeout: 60_000,
  },
});
