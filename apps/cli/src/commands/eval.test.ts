import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
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
const FOLDER_TINY = fileURLToPath(
  new URL("../../../../evals/fixtures/folder-tiny", import.meta.url),
);
const GARDEN = path.join(FOLDER_TINY, "garden");
const GARDEN_QUESTIONS = path.join(FOLDER_TINY, "questions.jsonl");

/** Runs `lore` expecting it to fail; resolves with the failure. */
function loreFails(args: string[], extra: Record<string, string> = {}) {
  return lore(args, extra).then(
    () => {
      throw new Error(`expected \`lore ${args.join(" ")}\` to fail`);
    },
    (error: { code: number; stdout: string; stderr: string }) => error,
  );
}

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
    const failure = await loreFails(
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

  it("`eval folder` scores the folder's own questions through ingest, search and ask, with the gate", {
    timeout: 180_000,
  }, async () => {
    const thresholds = path.join(folder, "garden-thresholds.json");
    await writeFile(
      thresholds,
      JSON.stringify({
        hybridBelowBm25: 0.01,
        corpora: { garden: { minimum: { recallAt5: 1, recallAt1: 1.01 }, maximum: {} } },
      }),
    );
    const results = path.join(folder, "garden-results");
    const failure = await loreFails(
      [
        "eval",
        "folder",
        GARDEN,
        "--questions",
        GARDEN_QUESTIONS,
        "--json",
        "--check",
        "--thresholds",
        thresholds,
        "--results-dir",
        results,
      ],
      { LORE_CHAT_PROVIDER: "extractive" },
    );
    expect(failure.code).toBe(1);
    expect(failure.stderr).toMatch(/quality gate failed/);
    expect(failure.stderr).toMatch(
      /garden: recallAt1 \(recall@1\) = [\d.]+ is below its threshold 1\.01/,
    );
    expect(failure.stderr).not.toMatch(/recallAt5/);
    const report = JSON.parse(failure.stdout);
    expect(Object.keys(report.corpora)).toEqual(["garden"]);
    const garden = report.corpora.garden;
    expect(garden.questions).toEqual({ total: 6, answerable: 4, unanswerable: 2 });
    expect(garden.corpus).toMatchObject({ documents: 3 });
    expect(garden.config).toMatchObject({ corpus: "garden", answerModes: ["extractive"] });
    expect(garden.metrics.recallAt5).toBe(1);
    for (const metric of ["answeredFromSource", "falseAbstentionRate", "abstentionAccuracy"]) {
      expect(garden.metrics[metric]).toBeGreaterThanOrEqual(0);
    }
    for (const leg of ["bm25", "vector", "hybrid"]) {
      expect(garden.legs[leg].recallAt10).toBe(1);
    }
    // The result files: every question's ranking and answer, and the same tables `lore eval` prints.
    const written = (await readdir(results)).sort();
    expect(written).toEqual([
      expect.stringMatching(/-garden-local-lore-hash-v1-extractive\.json$/),
      expect.stringMatching(/-garden-local-lore-hash-v1-extractive\.md$/),
    ]);
    const saved = JSON.parse(await readFile(path.join(results, written[0] ?? ""), "utf8"));
    expect(saved.results.map((result: { id: string }) => result.id)).toEqual([
      "tiny-01",
      "tiny-02",
      "tiny-03",
      "tiny-04",
      "tiny-05",
      "tiny-06",
    ]);
    const markdown = await readFile(path.join(results, written[1] ?? ""), "utf8");
    expect(markdown).toMatch(/^# Eval: garden$/m);
    expect(markdown).toMatch(/^\| answered from source \| [\d.]+ \|$/m);
    expect(markdown).toMatch(/^\| metric \| bm25 \| vector \| hybrid \|$/m);
  });

  it("`eval folder` refuses a bad questions file before ingesting, naming the line", {
    timeout: 120_000,
  }, async () => {
    const questions = path.join(folder, "bad-questions.jsonl");
    await writeFile(
      questions,
      [
        '{"id": "a", "question": "How much is a plot?", "answerable": true, "sources": ["plots.md"]}',
        '{"id": "b", "question": "Where is the shed?", "answerable": true, "sources": ["tools.md"]}',
        "",
      ].join("\n"),
    );
    const missing = await loreFails(["eval", "folder", GARDEN, "--questions", questions]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(
      /line 2 \(b\): source "tools\.md" is not a file in .*garden \(did you mean "rules\/tools\.md"\?\)/,
    );
    expect(missing.stdout).toBe("");
    await writeFile(
      questions,
      '{"id": "a", "question": "How much is a plot?", "answerable": "yes", "sources": []}\n',
    );
    const invalid = await loreFails(["eval", "folder", GARDEN, "--questions", questions]);
    expect(invalid.stderr).toMatch(/bad-questions\.jsonl line 1: answerable: .*boolean/);
    const usage = await loreFails(["eval", "folder", GARDEN]);
    expect(usage.stderr).toMatch(/usage: lore eval folder <dir> --questions <file\.jsonl>/);
  });

  it("--corpus refuses a corpus it does not know", async () => {
    const failure = await loreFails(["eval", "--corpus", "docs,nope"]);
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
