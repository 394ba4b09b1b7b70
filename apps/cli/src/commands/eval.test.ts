import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { listCollections } from "@lore/core";
import { createTestDatabase, serveOverWire } from "@lore/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const MAIN = fileURLToPath(new URL("../main.ts", import.meta.url));
const TSX = fileURLToPath(new URL("../../node_modules/.bin/tsx", import.meta.url));
const BEIR_TINY = fileURLToPath(new URL("../../../../evals/fixtures/beir-tiny", import.meta.url));
const THRESHOLDS = fileURLToPath(new URL("../../../../evals/thresholds.json", import.meta.url));

function lore(args: string[], extra: Record<string, string> = {}) {
  const { DATABASE_URL: _url, OPENAI_API_KEY: _key, ...env } = process.env;
  return run(TSX, [MAIN, ...args], {
    env: { ...env, LORE_EMBED_PROVIDER: "local", LORE_LOG_LEVEL: "warn", ...extra },
    timeout: 120_000,
  });
}

let folder: string;
beforeAll(async () => {
  folder = await mkdtemp(path.join(tmpdir(), "lore-eval-"));
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

describe("lore eval", () => {
  it("`eval beir <dir> --json` prints one object with the BEIR metrics", {
    timeout: 120_000,
  }, async () => {
    const { stdout } = await lore(["eval", "beir", BEIR_TINY, "--json"]);
    const metrics = JSON.parse(stdout);
    expect(metrics).toMatchObject({ queries: 6, documents: 12, chunks: 12 });
    for (const key of [
      "ndcgAt10",
      "recallAt10",
      "recallAt100",
      "mrrAt10",
      "ingestMs",
      "queryP50Ms",
    ]) {
      expect(typeof metrics[key]).toBe("number");
    }
  });

  it("`eval beir` with DATABASE_URL loads a fresh collection into that Postgres (--keep keeps it)", {
    timeout: 120_000,
  }, async () => {
    const database = await createTestDatabase();
    const wire = await serveOverWire(database);
    try {
      const { stdout } = await lore(["eval", "beir", BEIR_TINY, "--json", "--keep"], {
        DATABASE_URL: wire.url,
      });
      expect(JSON.parse(stdout)).toMatchObject({ queries: 6, documents: 12, chunks: 12 });
      expect(await listCollections({ db: database.db })).toEqual([
        expect.objectContaining({ name: expect.stringMatching(/^beir-beir-tiny-/), documents: 12 }),
      ]);
    } finally {
      await wire.stop();
      await database.close();
    }
  });

  it("--check fails naming the corpus and metric; a missing AWS slice is skipped with a message", {
    timeout: 180_000,
  }, async () => {
    const thresholds = JSON.parse(await readFile(THRESHOLDS, "utf8"));
    const raised = path.join(folder, "raised.json");
    await writeFile(
      raised,
      JSON.stringify({
        ...thresholds,
        corpora: {
          docs: { ...thresholds.corpora.docs, split: "dev", minimum: { recallAt1: 1.01 } },
          aws: { minimum: { ndcgAt10: 0.99 }, maximum: {} },
        },
      }),
    );
    const failure = await lore(
      [
        "eval",
        "--corpus",
        "docs,aws",
        "--split",
        "dev",
        "--check",
        "--thresholds",
        raised,
        "--no-write",
        "--json",
      ],
      { LORE_EVALDATA_DIR: folder },
    ).then(
      () => {
        throw new Error("expected the gate to fail");
      },
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
    expect(failure.code).toBe(1);
    expect(failure.stderr).toMatch(/skipping aws: .*aws-docs-qa-dev\.tar\.gz not found/);
    expect(failure.stderr).toMatch(/quality gate failed/);
    expect(failure.stderr).toMatch(
      /docs: recallAt1 \(recall@1\) = 0\.\d{3} is below its threshold 1\.01/,
    );
    expect(failure.stderr).not.toMatch(/aws: ndcgAt10/);
    const report = JSON.parse(failure.stdout);
    expect(Object.keys(report.corpora)).toEqual(["docs"]);
    expect(report.skipped.aws).toMatch(/not found/);
    const docs = report.corpora.docs;
    expect(docs.questions).toEqual({ total: 35, answerable: 26, unanswerable: 9 });
    expect(docs.metrics.recallAt1).toBeGreaterThan(0.5);
    for (const leg of ["bm25", "vector", "hybrid"]) {
      expect(docs.legs[leg].ndcgAt10).toBeGreaterThan(0.5);
    }
  });

  it("--corpus refuses a corpus it does not know", async () => {
    const failure = await lore(["eval", "--corpus", "docs,nope"]).then(
      () => {
        throw new Error("expected an error");
      },
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure.code).not.toBe(0);
    expect(failure.stderr).toMatch(
      /--corpus takes a comma-separated list of docs, docs-paraphrase, aws/,
    );
  });

  it("--compare prints the deltas of two result files side by side", async () => {
    const write = async (name: string, recallAt1: number) => {
      const file = path.join(folder, name);
      await writeFile(
        file,
        JSON.stringify({
          config: { split: "dev", embedder: "local" },
          metrics: { recallAt1, ndcgAt10: 0.9 },
        }),
      );
      return file;
    };
    const { stdout } = await lore([
      "eval",
      "--compare",
      await write("a.json", 0.7),
      await write("b.json", 0.75),
    ]);
    expect(stdout).toMatch(/recall@1\s+0\.700\s+0\.750\s+\+0\.050 better/);
    expect(stdout).toMatch(/nDCG@10\s+0\.900\s+0\.900\s+0$/m);
  });
});
