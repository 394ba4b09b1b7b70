import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { listCollections } from "@lore/core";
import { queryRows } from "@lore/db";
import { createTestDatabase } from "@lore/db/testing";
import { createLocalEmbedder } from "@lore/providers";
import { sql } from "drizzle-orm";
import { afterAll, describe, expect, it } from "vitest";
import { type BeirDataset, readBeir, runBeir } from "./beir";

const TINY = fileURLToPath(new URL("../fixtures/beir-tiny", import.meta.url));

describe("BEIR reader", () => {
  it("reads the corpus, queries and graded qrels of the requested split", async () => {
    const dataset = await readBeir(TINY, "test");
    expect(dataset.corpus).toHaveLength(12);
    expect(dataset.corpus[0]).toEqual(
      expect.objectContaining({ id: "d1", title: expect.stringMatching(/^Vitamin D/) }),
    );
    expect(dataset.queries.size).toBe(7);
    expect([...dataset.qrels.keys()]).toEqual(["q1", "q2", "q3", "q4", "q5", "q6"]);
    expect(dataset.qrels.get("q1")).toEqual(
      new Map([
        ["d1", 2],
        ["d2", 1],
      ]),
    );
    expect((await readBeir(TINY, "dev")).qrels.get("q2")?.size).toBe(2);
  });

  it("names the missing file or the bad line", async () => {
    const folder = await mkdtemp(path.join(tmpdir(), "lore-beir-"));
    try {
      await expect(readBeir(folder)).rejects.toThrow(/corpus\.jsonl is missing/);
      await mkdir(path.join(folder, "qrels"));
      await writeFile(
        path.join(folder, "corpus.jsonl"),
        '{"_id": "a", "text": "fine"}\n{"_id": "b"}\n',
      );
      await writeFile(path.join(folder, "queries.jsonl"), "");
      await writeFile(path.join(folder, "qrels", "test.tsv"), "query-id\tcorpus-id\tscore\n");
      await expect(readBeir(folder)).rejects.toThrow(/corpus\.jsonl line 2: text/);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});

describe("BEIR runner", () => {
  const databasePromise = createTestDatabase();
  afterAll(async () => (await databasePromise).close());

  it("ingests one document per corpus line, runs only judged queries, and drops its collection", async () => {
    const database = await databasePromise;
    const context = { db: database.db, embedder: createLocalEmbedder() };
    const metrics = await runBeir(context, await readBeir(TINY, "test"), {
      collection: "beir-tiny-1",
    });
    expect(metrics).toMatchObject({ queries: 6, documents: 12, chunks: 12 });
    for (const key of ["ndcgAt10", "recallAt10", "recallAt100", "mrrAt10"] as const) {
      expect(metrics[key]).toBeGreaterThanOrEqual(0);
      expect(metrics[key]).toBeLessThanOrEqual(1);
    }
    // Every relevant document of this small corpus is retrieved, and most rank first.
    expect(metrics.recallAt100).toBe(1);
    expect(metrics.mrrAt10).toBeGreaterThan(0.8);
    expect(metrics.ndcgAt10).toBeGreaterThan(0.75);
    expect(metrics.ingestMs).toBeGreaterThan(0);
    expect(metrics.queryP50Ms).toBeGreaterThan(0);
    expect(await listCollections({ db: database.db })).toEqual([]);
  });

  it("loads the corpus through the folder ingest, one batch for many documents, keeping ids as sources", async () => {
    const database = await databasePromise;
    const context = { db: database.db, embedder: createLocalEmbedder() };
    const text = (topic: string) => `All about ${topic}, and nothing else.`;
    // Ids that are safe paths keep them (with .md added); others are staged under a number.
    const dataset: BeirDataset = {
      corpus: [
        { id: "guide/page.md", title: "Pages", text: text("zebras") },
        { id: "plain", title: "", text: text("giraffes") },
        { id: "plain.md", title: "", text: text("okapis") },
        { id: "../escape me", title: "", text: text("lemurs") },
      ],
      queries: new Map([
        ["q1", "zebras"],
        ["q2", "giraffes"],
        ["q3", "okapis"],
        ["q4", "lemurs"],
      ]),
      qrels: new Map([
        ["q1", new Map([["guide/page.md", 1]])],
        ["q2", new Map([["plain", 1]])],
        ["q3", new Map([["plain.md", 1]])],
        ["q4", new Map([["../escape me", 1]])],
      ]),
    };
    const batches: number[] = [];
    const metrics = await runBeir(context, dataset, {
      collection: "beir-staged",
      keepCollection: true,
      onIngest: (done) => batches.push(done),
    });
    expect(metrics).toMatchObject({ queries: 4, documents: 4, chunks: 4, mrrAt10: 1 });
    // ingestFolder reports progress once per written batch: all four in one.
    expect(batches.at(-1)).toBe(4);
    expect(batches.filter((done) => done > 0)).toEqual([4]);
    const [collection] = await listCollections({ db: database.db });
    expect(collection).toMatchObject({ name: "beir-staged", documents: 4 });
    const rows = await queryRows<{ source: string }>(
      database.db,
      sql`SELECT d.source FROM documents d JOIN collections c ON c.id = d.collection_id
          WHERE c.name = 'beir-staged'`,
    );
    expect(rows.map((row) => row.source).sort()).toEqual([
      "_documents/2.md",
      "_documents/3.md",
      "guide/page.md",
      "plain.md",
    ]);
  });
});
