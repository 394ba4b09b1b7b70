// Smoke test of the benchmark harness at tiny sizes, so `pnpm bench` cannot silently rot.
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { openDatabase } from "@lore/db";
import { serveOverWire } from "@lore/db/testing";
import { startFakeOpenAI } from "@lore/fake-openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scaleChartSvg } from "./chart";
import { generateCorpusFolder } from "./corpus";
import { startFakeEmbeddings } from "./fake-embeddings";
import { runScript } from "./processes";
import { benchQuery } from "./query-bench";
import {
  RECIPE_INSTALL_COMMAND,
  RECIPE_MAIN,
  type RecipeInput,
  type RecipeResult,
  recipeInstalled,
} from "./recipe-contract";
import { benchScale } from "./scale-bench";

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), "lore-bench-test-"));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe("bench harness", () => {
  it("generates a corpus of the asked size from the sample docs, the same every run", async () => {
    const first = await generateCorpusFolder(path.join(scratch, "a"), {
      files: 3,
      totalBytes: 30_000,
    });
    const second = await generateCorpusFolder(path.join(scratch, "b"), {
      files: 3,
      totalBytes: 30_000,
    });
    expect(first.files).toBe(3);
    expect(first.bytes).toBeGreaterThanOrEqual(30_000);
    expect(second.bytes).toBe(first.bytes);
    const files = await readdir(path.join(scratch, "a"), { recursive: true });
    expect(files.filter((file) => file.endsWith(".md"))).toHaveLength(3);
  });

  it("measures HNSW recall@10 against exact search and charts the latency", async () => {
    const result = await benchScale({
      sizes: [150, 300],
      dimensions: 64,
      hnsw: { m: 8, efConstruction: 32 },
      efSearch: [40],
      queries: 4,
      maintenanceWorkMemMb: 64,
    });
    expect(result.points.map((point) => point.chunks)).toEqual([150, 300]);
    for (const point of result.points) {
      expect(point.annUsesIndex).toBe(true);
      expect(point.ann[0]?.recallAt10).toBeGreaterThan(0.5);
      expect(point.searchVerbMs.p50).toBeGreaterThan(0);
    }
    const svg = scaleChartSvg(result);
    expect(svg).toMatch(/^<svg /);
    expect(svg.match(/<polyline /g)).toHaveLength(5);
  });

  it("counts the embedding calls and batch sizes the fake server (its own process) answered", async () => {
    const fake = await startFakeEmbeddings({ latencyMs: 200, dimensions: 16 });
    try {
      const embed = (input: string[]) =>
        fetch(`${fake.baseUrl}/embeddings`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ model: "m", input }),
        });
      await Promise.all([embed(["a", "b", "c"]), embed(["d"])]);
      const calls = await fake.calls();
      expect(calls).toMatchObject({
        calls: 2,
        texts: 4,
        batchSizes: { min: 1, max: 3 },
        maxInFlight: 2,
      });
      expect(calls.lastDoneAt).toBeGreaterThanOrEqual(calls.firstAt + 200);
      await fake.reset();
      expect((await fake.calls()).calls).toBe(0);
    } finally {
      await fake.close();
    }
  });

  // The recipe's packages are an opt-in install (RECIPE_INSTALL_COMMAND), so without them this is skipped.
  it.skipIf(!recipeInstalled())(
    `runs the LangChain.js baseline recipe against a wire Postgres and the fake embedding server (needs ${RECIPE_INSTALL_COMMAND})`,
    async () => {
      const fake = await startFakeOpenAI({ embeddingDimensions: 32 });
      const database = await openDatabase({ kind: "pglite-memory" });
      const wire = await serveOverWire(database);
      try {
        const corpus = await generateCorpusFolder(path.join(scratch, "recipe"), {
          files: 2,
          totalBytes: 8_000,
        });
        const input: RecipeInput = {
          folder: corpus.folder,
          databaseUrl: wire.url,
          baseUrl: fake.baseURL,
          dimensions: 32,
          chunkSize: 1000,
          chunkOverlap: 150,
        };
        const run = await runScript(RECIPE_MAIN, [JSON.stringify(input)], process.env);
        const result = JSON.parse(run.stdout) as RecipeResult;
        expect(result.documents).toBe(2);
        expect(result.chunks).toBeGreaterThan(2);
        // Every chunk embedded, plus the query.
        expect(fake.counts.embeddedTexts).toBe(result.chunks + 1);
        const rows = await database.pglite?.query<{ total: number }>(
          "SELECT count(*)::int AS total FROM langchain_bench",
        );
        expect(rows?.rows[0]?.total).toBe(result.chunks);
      } finally {
        await wire.stop();
        await database.close();
        await fake.close();
      }
    },
    120_000,
  );

  it("loads `lore serve` with the database in another process and reports its CPU and round trips per request", async () => {
    const result = await benchQuery({ concurrency: 2, durationSeconds: 1, mode: "server" });
    expect(result).toMatchObject({ mode: "server", database: "pglite-over-wire" });
    expect(result.chunks).toBeGreaterThan(0);
    for (const load of [result.search, result.ask]) {
      if (!load) throw new Error("both routes were loaded");
      expect(load.requests).toBeGreaterThan(0);
      expect(load.errors + load.non2xx + load.timeouts).toBe(0);
      expect(load.serverCpuMsPerRequest).toBeGreaterThan(0);
      expect(load.serverSingleCoreCeiling).toBeCloseTo(1000 / load.serverCpuMsPerRequest, -1);
      expect(load.databaseCpuMsPerRequest).toBeGreaterThan(0);
      // At least the hybrid query; its collection look-up is remembered after the warm-up.
      expect(load.sqlRoundTripsPerRequest).toBeGreaterThanOrEqual(1);
      expect(load.loadAverage).toMatch(/^\d/);
    }
  }, 240_000);

  it("loads `lore serve` with auth required and a rate-limited key: every request answered, none refused", async () => {
    const result = await benchQuery({
      concurrency: 2,
      durationSeconds: 1,
      mode: "server",
      auth: true,
      routes: ["ask"],
    });
    expect(result.auth).toBe(true);
    expect(result.search).toBeUndefined();
    expect(result.ask?.requests).toBeGreaterThan(0);
    expect(result.ask?.non2xx).toBe(0);
    expect(result.ask?.sqlRoundTripsPerRequest).toBeGreaterThanOrEqual(1);
  }, 240_000);
});
