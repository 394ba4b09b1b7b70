// collection_statistics stays exact through ingest, re-ingest, delete, rollback and collection drop, in-process and over the wire.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { chunks, collections, type Database, openDatabase, queryRows } from "@lore/db";
import { createTestDatabase, serveOverWire } from "@lore/db/testing";
import { createLocalEmbedder } from "@lore/providers";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findCollection } from "../collections/collections";
import type { LoreContext } from "../context";
import { ingestFolder } from "../ingestion/ingest-folder";
import { deleteDocument, putDocument } from "../ingestion/put-document";

interface Statistics {
  name: string;
  chunks: number;
  tokens: number;
  actualChunks: number;
  actualTokens: number;
}

/** Per collection: the totals BM25 reads (collection_statistics) and the ones counted from chunks. */
async function statistics(database: Database): Promise<Statistics[]> {
  return queryRows<Statistics>(
    database.db,
    sql`SELECT k.name,
          coalesce(s.chunks, 0)::int AS chunks, coalesce(s.tokens, 0)::int AS tokens,
          coalesce(a.chunks, 0)::int AS "actualChunks", coalesce(a.tokens, 0)::int AS "actualTokens"
        FROM collections k
        LEFT JOIN (SELECT collection_id, sum(chunks) AS chunks, sum(tokens) AS tokens
                   FROM collection_statistics GROUP BY collection_id) s ON s.collection_id = k.id
        LEFT JOIN (SELECT collection_id, count(*) AS chunks, sum(token_count) AS tokens
                   FROM chunks GROUP BY collection_id) a ON a.collection_id = k.id
        ORDER BY k.name`,
  );
}

async function expectExact(database: Database): Promise<Statistics[]> {
  const rows = await statistics(database);
  for (const row of rows) {
    expect({ name: row.name, chunks: row.chunks, tokens: row.tokens }).toEqual({
      name: row.name,
      chunks: row.actualChunks,
      tokens: row.actualTokens,
    });
  }
  return rows;
}

function totalsOf(rows: Statistics[], name: string): { chunks: number; tokens: number } {
  const row = rows.find((candidate) => candidate.name === name);
  return { chunks: row?.chunks ?? 0, tokens: row?.tokens ?? 0 };
}

const paragraphs = (topic: string, count: number) =>
  Array.from(
    { length: count },
    (_, index) => `The ${topic} runbook step ${index} checks the ${topic} queue before moving on.`,
  ).join("\n\n");

const targets: {
  name: string;
  open: () => Promise<{ database: Database; close(): Promise<void> }>;
}[] = [
  {
    name: "in-process PGlite",
    open: async () => {
      const database = await createTestDatabase();
      return { database, close: () => database.close() };
    },
  },
  {
    name: "pg over the wire",
    open: async () => {
      const backing = await createTestDatabase();
      const wire = await serveOverWire(backing);
      const database = await openDatabase({ kind: "postgres", url: wire.url, poolSize: 2 });
      return {
        database,
        close: async () => {
          await database.close();
          await wire.stop();
          await backing.close();
        },
      };
    },
  },
];

describe.each(targets)("collection statistics on $name", (target) => {
  let database: Database;
  let close: () => Promise<void>;
  let context: LoreContext;
  let folder: string;

  beforeAll(async () => {
    ({ database, close } = await target.open());
    context = { db: database.db, embedder: createLocalEmbedder() };
    folder = await mkdtemp(path.join(tmpdir(), "lore-statistics-"));
    await writeFile(path.join(folder, "alpha.md"), `# Alpha\n\n${paragraphs("alpha", 12)}\n`);
    await writeFile(path.join(folder, "beta.md"), `# Beta\n\n${paragraphs("beta", 6)}\n`);
  });
  afterAll(async () => {
    await close();
    await rm(folder, { recursive: true, force: true });
  });

  it("count every chunk and token after an ingest, per collection", async () => {
    await ingestFolder(context, folder, { collection: "docs" });
    await putDocument(context, "other", {
      source: "notes.md",
      content: paragraphs("notes", 3),
      mimeType: "text/markdown",
    });
    const rows = await expectExact(database);
    expect(totalsOf(rows, "docs").chunks).toBeGreaterThan(1);
    expect(totalsOf(rows, "docs").tokens).toBeGreaterThan(totalsOf(rows, "docs").chunks);
    expect(totalsOf(rows, "other").chunks).toBeGreaterThan(0);
  });

  it("stay exact when a document is re-ingested with other content", async () => {
    const before = totalsOf(await statistics(database), "docs");
    await writeFile(path.join(folder, "beta.md"), `# Beta\n\n${paragraphs("beta", 30)}\n`);
    const summary = await ingestFolder(context, folder, { collection: "docs", sync: true });
    expect(summary.documents.updated).toBe(1);
    const after = totalsOf(await expectExact(database), "docs");
    expect(after.tokens).toBeGreaterThan(before.tokens);
  });

  it("stay exact when documents are deleted", async () => {
    const before = totalsOf(await statistics(database), "docs");
    const deleted = await deleteDocument(context, "docs", "alpha.md");
    expect(deleted.chunksDeleted).toBeGreaterThan(0);
    const after = totalsOf(await expectExact(database), "docs");
    expect(after.chunks).toBe(before.chunks - deleted.chunksDeleted);
  });

  it("do not change when a write transaction rolls back half-way", async () => {
    const before = await expectExact(database);
    const collection = await findCollection({ db: database.db }, "docs");
    if (!collection) throw new Error("collection docs is missing");
    // The shape of a document write that fails after replacing its chunks: the deletes and
    // inserts already ran their triggers when the transaction aborts.
    await expect(
      database.db.transaction(async (transaction) => {
        const [kept] = await transaction
          .delete(chunks)
          .where(eq(chunks.collectionId, collection.id))
          .returning();
        if (!kept) throw new Error("no chunk to re-insert");
        const { search: _search, ...row } = kept;
        await transaction
          .insert(chunks)
          .values({ ...row, id: "chk_rolledback", tokenCount: 1_000 });
        throw new Error("provider failed mid-write");
      }),
    ).rejects.toThrow(/mid-write/);
    expect(await expectExact(database)).toEqual(before);
  });

  it("go with a dropped collection and leave the others exact", async () => {
    const before = totalsOf(await statistics(database), "other");
    await database.db.delete(collections).where(eq(collections.name, "docs"));
    const rows = await expectExact(database);
    expect(rows.map((row) => row.name)).toEqual(["other"]);
    expect(totalsOf(rows, "other")).toEqual(before);
    const [orphans] = await queryRows<{ total: number }>(
      database.db,
      sql`SELECT count(*)::int AS total FROM collection_statistics s
          WHERE NOT EXISTS (SELECT 1 FROM collections k WHERE k.id = s.collection_id)`,
    );
    expect(orphans?.total).toBe(0);
  });
});
