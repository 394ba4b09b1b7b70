import { appendFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  type Database,
  dropVectorIndex,
  ensureVectorIndex,
  queryRows,
  vectorIndexParameters,
} from "@lore/db";
import { createTestDatabase } from "@lore/db/testing";
import {
  createLocalEmbedder,
  createRecordingEmbedder,
  ProviderError,
  type RecordingEmbedder,
} from "@lore/providers";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LoreContext } from "../context";
import { deferred } from "../testing";
import { ingestFolder } from "./ingest-folder";
import { deleteDocument, putDocument } from "./put-document";
import { onePagePdf } from "./test-pdf";

let database: Database;
let embedder: RecordingEmbedder;
let context: LoreContext;
let folder: string;

const paragraphs = (topic: string, count: number) =>
  Array.from(
    { length: count },
    (_, index) => `The ${topic} step ${index} checks the ${topic} queue before moving on.`,
  ).join("\n\n");

/** Every row of documents and chunks with its xmin: any insert, update or delete changes it. */
async function rowVersions(): Promise<string[]> {
  const rows = await queryRows<{ version: string }>(
    database.db,
    sql`SELECT 'doc ' || id || ' ' || xmin::text AS version FROM documents
        UNION ALL SELECT 'chunk ' || id || ' ' || xmin::text FROM chunks ORDER BY 1`,
  );
  return rows.map((row) => row.version);
}

/** The collection's content, independent of ids: what a clean run must reproduce. */
async function contentOf(collection: string): Promise<string[]> {
  const rows = await queryRows<{ line: string }>(
    database.db,
    sql`SELECT d.source || ' #' || c.ordinal || ' ' || c.content_hash || ' ' || c.start_line || '-' || c.end_line AS line
        FROM chunks c JOIN documents d ON d.id = c.document_id JOIN collections k ON k.id = d.collection_id
        WHERE k.name = ${collection} ORDER BY 1`,
  );
  return rows.map((row) => row.line);
}

async function orphanChunks(): Promise<number> {
  const [row] = await queryRows<{ total: number }>(
    database.db,
    sql`SELECT count(*)::int AS total FROM chunks c LEFT JOIN documents d ON d.id = c.document_id WHERE d.id IS NULL`,
  );
  return row?.total ?? -1;
}

beforeAll(async () => {
  database = await createTestDatabase();
  embedder = createRecordingEmbedder(createLocalEmbedder());
  context = { db: database.db, embedder };
  folder = await mkdtemp(path.join(tmpdir(), "lore-sync-"));
  await writeFile(path.join(folder, "alpha.md"), `# Alpha\n\n${paragraphs("alpha", 30)}\n`);
  await writeFile(path.join(folder, "beta.md"), `# Beta\n\n${paragraphs("beta", 30)}\n`);
  await writeFile(path.join(folder, "gamma.txt"), `${paragraphs("gamma", 4)}\n`);
});
afterAll(async () => {
  await database.close();
  await rm(folder, { recursive: true, force: true });
});

describe("incremental sync", () => {
  it("re-syncing an unchanged folder makes no embedding call and writes no row", async () => {
    const first = await ingestFolder(context, folder, { collection: "sync", sync: true });
    expect(first.documents.added).toBe(3);
    expect(first.chunks.added).toBeGreaterThan(3);
    const calls = embedder.calls.length;
    const before = await rowVersions();

    const second = await ingestFolder(context, folder, { collection: "sync", sync: true });
    expect(second.documents).toEqual({ added: 0, updated: 0, unchanged: 3, deleted: 0 });
    expect(second.chunks).toEqual({ added: 0, deleted: 0 });
    expect(embedder.calls.length).toBe(calls);
    expect(await rowVersions()).toEqual(before);
  });

  it("appending a paragraph to one file re-embeds only its new chunks", async () => {
    const texts = embedder.textsEmbedded();
    await appendFile(
      path.join(folder, "beta.md"),
      "\nThe beta rollback needs a second approver on weekends.\n",
    );
    const summary = await ingestFolder(context, folder, { collection: "sync", sync: true });
    expect(summary.documents).toEqual({ added: 0, updated: 1, unchanged: 2, deleted: 0 });
    const embedded = embedder.textsEmbedded() - texts;
    expect(embedded).toBeGreaterThanOrEqual(1);
    expect(embedded).toBeLessThanOrEqual(5);
    expect(summary.textsEmbedded).toBe(embedded);
  });

  it("deleting a file and syncing removes its document and chunks", async () => {
    await rm(path.join(folder, "gamma.txt"));
    const withoutSync = await ingestFolder(context, folder, { collection: "sync" });
    expect(withoutSync.documents.deleted).toBe(0);
    const summary = await ingestFolder(context, folder, { collection: "sync", sync: true });
    expect(summary.documents.deleted).toBe(1);
    expect(summary.chunks.deleted).toBeGreaterThan(0);
    expect((await contentOf("sync")).some((line) => line.startsWith("gamma.txt"))).toBe(false);
    expect(await orphanChunks()).toBe(0);
  });

  it("a run that dies half-way, re-run, ends equal to a clean run", async () => {
    await ingestFolder(context, folder, { collection: "clean" });
    const failing = createRecordingEmbedder(createLocalEmbedder());
    let calls = 0;
    const flaky: LoreContext = {
      db: database.db,
      embedder: {
        ...failing,
        embed: async (texts, signal) => {
          calls += 1;
          if (calls === 2) throw new ProviderError("connection reset", true);
          return failing.embed(texts, signal);
        },
      },
    };
    await expect(
      // Two texts a request, one request at a time: the second request fails after the first
      // batch of documents was written.
      ingestFolder(flaky, folder, {
        collection: "crashed",
        concurrency: 1,
        embedBatchSize: 2,
        embedConcurrency: 1,
      }),
    ).rejects.toThrow(/connection reset/);
    expect((await contentOf("crashed")).length).toBeGreaterThan(0);
    await ingestFolder(flaky, folder, { collection: "crashed", sync: true });
    const clean = (await contentOf("clean")).join("\n");
    expect((await contentOf("crashed")).join("\n")).toBe(clean);
    expect(await orphanChunks()).toBe(0);
  });
});

describe("embedding and writing in batches", () => {
  let many: string;
  beforeAll(async () => {
    many = await mkdtemp(path.join(tmpdir(), "lore-batches-"));
    for (let index = 0; index < 5; index++) {
      await writeFile(
        path.join(many, `note-${index}.md`),
        `# Note ${index}\n\n## Part\n\n${paragraphs(`topic${index}`, 2)}\n`,
      );
    }
    // A copy: its chunks are the same texts, embedded once, not once per file.
    await writeFile(
      path.join(many, "note-copy.md"),
      `# Note 0\n\n## Part\n\n${paragraphs("topic0", 2)}\n`,
    );
  });
  afterAll(() => rm(many, { recursive: true, force: true }));

  it("embeds the texts of many files together, each distinct text once", async () => {
    const recording = createRecordingEmbedder(createLocalEmbedder());
    const summary = await ingestFolder({ db: database.db, embedder: recording }, many, {
      collection: "together",
    });
    expect(summary.documents.added).toBe(6);
    expect(recording.calls.length).toBe(1);
    const texts = recording.calls.flat();
    expect(new Set(texts).size).toBe(texts.length);
    expect(summary.textsEmbedded).toBe(texts.length);
    expect(summary.chunks.added).toBeGreaterThan(texts.length);
    // Where the time went: every stage that ran took some (the index stage only checks that the
    // index still fits: no bulk build for 6 files); no sync.
    expect(summary.stages).toMatchObject({ sync: 0 });
    for (const stage of ["list", "read", "embed", "write", "index"] as const) {
      expect(summary.stages?.[stage]).toBeGreaterThanOrEqual(0);
    }
    expect(summary.stages?.write).toBeGreaterThan(0);
  });

  it("keeps each request within the batch size and the concurrency", async () => {
    const recording = createRecordingEmbedder(createLocalEmbedder());
    let inFlight = 0;
    let mostInFlight = 0;
    // The first requests hold until two are in flight: the overlap is built, not left to timing
    // (a concurrency of one never opens the gate, and the test times out).
    const twoInFlight = deferred();
    const slow: LoreContext = {
      db: database.db,
      embedder: {
        ...recording,
        embed: async (texts, signal) => {
          inFlight += 1;
          mostInFlight = Math.max(mostInFlight, inFlight);
          if (inFlight >= 2) twoInFlight.resolve();
          await twoInFlight.promise;
          // A turn of the event loop while held: a request past the limit would start here.
          await new Promise((resolve) => setImmediate(resolve));
          inFlight -= 1;
          return recording.embed(texts, signal);
        },
      },
    };
    const summary = await ingestFolder(slow, many, {
      collection: "small-batches",
      embedBatchSize: 2,
      embedConcurrency: 2,
    });
    expect(recording.calls.every((call) => call.length <= 2)).toBe(true);
    expect(recording.calls.length).toBeGreaterThan(2);
    expect(mostInFlight).toBe(2);
    expect(summary.textsEmbedded).toBe(recording.textsEmbedded());
    expect(await contentOf("small-batches")).toEqual(await contentOf("together"));
  });
});

/** The full-text GIN index's name when it exists (a bulk load drops it and builds it again). */
async function fullTextIndex(): Promise<string | null> {
  const [row] = await queryRows<{ name: string | null }>(
    database.db,
    sql`SELECT to_regclass('chunks_search_idx')::text AS name`,
  );
  return row?.name ?? null;
}

describe("bulk loads and the HNSW index", () => {
  // A dimension of its own, so the index under test serves only these collections.
  const embedder64 = createLocalEmbedder({ dimensions: 64 });
  const indexOid = async (dimensions = 64) => {
    const [row] = await queryRows<{ oid: number | null }>(
      database.db,
      sql`SELECT to_regclass(${`chunks_embedding_hnsw_${dimensions}`})::oid::int AS oid`,
    );
    return row?.oid ?? null;
  };

  it("builds the index once after a load at least as large as what it holds, and not for a small one", async () => {
    const context64: LoreContext = { db: database.db, embedder: embedder64 };
    await ingestFolder(context64, folder, { collection: "bulk-small" });
    const before = await indexOid();
    expect(before).not.toBeNull();

    // Expected to add at least as many chunks as the index holds: dropped, then rebuilt.
    const many = await mkdtemp(path.join(tmpdir(), "lore-bulk-"));
    for (let index = 0; index < 4; index++) {
      await writeFile(
        path.join(many, `part-${index}.md`),
        `# Part ${index}\n\n${paragraphs(`bulk${index}`, 30)}\n`,
      );
    }
    await ingestFolder(context64, many, { collection: "bulk-large", bulkIndexMinChunks: 1 });
    const rebuilt = await indexOid();
    expect(rebuilt).not.toBeNull();
    expect(rebuilt).not.toBe(before);

    // One small new file next to many indexed chunks: inserted into the existing graph.
    await writeFile(path.join(many, "late.md"), "# Late\n\nOne more short note.\n");
    await ingestFolder(context64, many, { collection: "bulk-large", bulkIndexMinChunks: 1 });
    expect(await indexOid()).toBe(rebuilt);
    await rm(many, { recursive: true, force: true });
  });

  it("rebuilds an index whose graph its vectors have outgrown, after the ingest that wrote them", async () => {
    // A dimension no other test uses, its index built sparser than its vectors call for, as one
    // grown by small ingests past LARGE_HNSW_MIN_ROWS keeps the graph it was first built with.
    const embedder40 = createLocalEmbedder({ dimensions: 40 });
    const context40: LoreContext = { db: database.db, embedder: embedder40 };
    await ingestFolder(context40, folder, { collection: "outgrown" });
    await dropVectorIndex(database.db, 40);
    await ensureVectorIndex(database.db, 40, { m: 8, efConstruction: 32 });
    const sparse = await indexOid(40);
    expect(await vectorIndexParameters(database.db, 40)).toEqual({ m: 8, efConstruction: 32 });

    // Nothing written (an unchanged re-sync): left as it is.
    await ingestFolder(context40, folder, { collection: "outgrown", sync: true });
    expect(await indexOid(40)).toBe(sparse);

    // A small change: the ingest that wrote it builds the graph the vectors call for.
    const notes = await mkdtemp(path.join(tmpdir(), "lore-outgrown-"));
    await writeFile(path.join(notes, "late.md"), "# Late\n\nOne more short note.\n");
    await ingestFolder(context40, notes, { collection: "outgrown" });
    expect(await vectorIndexParameters(database.db, 40)).toEqual({ m: 16, efConstruction: 64 });
    const rebuilt = await indexOid(40);
    expect(rebuilt).not.toBe(sparse);

    // It fits now: the next small ingest leaves it.
    await writeFile(path.join(notes, "later.md"), "# Later\n\nAnd another.\n");
    await ingestFolder(context40, notes, { collection: "outgrown" });
    expect(await indexOid(40)).toBe(rebuilt);
    await rm(notes, { recursive: true, force: true });
  });

  it("rebuilds the index when a bulk load fails, and the next ingest restores one a crash left dropped", async () => {
    // A dimension no other test uses: the load is larger than what its index holds.
    const embedder48 = createLocalEmbedder({ dimensions: 48 });
    const failing: LoreContext = {
      db: database.db,
      embedder: {
        ...embedder48,
        embed: async (texts, signal) => {
          if (texts.length > 0 && (await indexOid(48)) === null) {
            throw new ProviderError("embedding server gone", false);
          }
          return embedder48.embed(texts, signal);
        },
      },
    };
    const many = await mkdtemp(path.join(tmpdir(), "lore-bulk-fail-"));
    for (let index = 0; index < 3; index++) {
      await writeFile(
        path.join(many, `doc-${index}.md`),
        `# Doc ${index}\n\n${paragraphs(`fail${index}`, 40)}\n`,
      );
    }
    // Small batches: the index is dropped at the first write, so the second request fails.
    await expect(
      ingestFolder(failing, many, {
        collection: "bulk-failing",
        bulkIndexMinChunks: 1,
        embedBatchSize: 2,
        embedConcurrency: 1,
      }),
    ).rejects.toThrow(/embedding server gone/);
    expect(await indexOid(48)).not.toBeNull();
    expect(await fullTextIndex()).not.toBeNull();

    // A process killed mid-load never rebuilds them; the next ingest of any collection does.
    await database.db.execute(sql`DROP INDEX chunks_embedding_hnsw_48`);
    await database.db.execute(sql`DROP INDEX chunks_search_idx`);
    await ingestFolder({ db: database.db, embedder: embedder48 }, many, {
      collection: "bulk-failing",
    });
    expect(await indexOid(48)).not.toBeNull();
    expect(await fullTextIndex()).toBe("chunks_search_idx");
    await rm(many, { recursive: true, force: true });
  });
});

describe("pushed documents", () => {
  it("upserts by source, writes nothing when unchanged, and deletes by source", async () => {
    const request = {
      source: "crm://accounts/42",
      content: "# Account 42\n\nRenewal is due in March.\n",
      mimeType: "text/markdown",
      metadata: { tags: ["crm"] },
    };
    const added = await putDocument(context, "pushed", request);
    expect(added).toMatchObject({ outcome: "added", chunks: 1 });
    expect(added.documentId).toMatch(/^doc_/);
    const before = await rowVersions();
    expect(await putDocument(context, "pushed", request)).toMatchObject({ outcome: "unchanged" });
    expect(await rowVersions()).toEqual(before);
    const retagged = await putDocument(context, "pushed", {
      ...request,
      metadata: { tags: ["x"] },
    });
    expect(retagged).toMatchObject({ outcome: "updated", documentId: added.documentId });

    const html = await putDocument(context, "pushed", {
      source: "wiki/page",
      content: "<h1>Wiki</h1><h2>Access</h2><p>Ask IT for access.</p>",
      mimeType: "text/html",
    });
    expect(html).toMatchObject({ outcome: "added", chunks: 1 });

    expect(await deleteDocument(context, "pushed", request.source)).toMatchObject({
      documentId: added.documentId,
      chunksDeleted: 1,
    });
    await expect(deleteDocument(context, "pushed", request.source)).rejects.toMatchObject({
      code: "not_found",
    });
    expect(await orphanChunks()).toBe(0);
  });
});

describe("one bad file never fails the ingest", () => {
  let mixed: string;
  beforeAll(async () => {
    mixed = await mkdtemp(path.join(tmpdir(), "lore-bad-files-"));
    for (let index = 0; index < 4; index++) {
      await writeFile(
        path.join(mixed, `good-${index}.md`),
        `# Good ${index}\n\n${paragraphs(`good${index}`, 3)}\n`,
      );
    }
    // Passes git's 8 KiB binary sniff; its NUL used to break the chunk INSERT of the whole batch.
    await writeFile(
      path.join(mixed, "late-nul.md"),
      `# Late\n\n${"The late NUL file. ".repeat(500)}\u0000 and more text\n`,
    );
    // 100 MB of Flate-compressed spaces behind one line of text.
    await writeFile(path.join(mixed, "bomb.pdf"), onePagePdf("Bomb", 100 * 1024 * 1024));
  });
  afterAll(() => rm(mixed, { recursive: true, force: true }));

  it("skips a late NUL byte and a PDF bomb with reasons, and ingests the rest", async () => {
    const summary = await ingestFolder(context, mixed, { collection: "bad-files" });
    expect(summary.documents.added).toBe(4);
    expect(summary.skipped).toEqual([
      { source: "bomb.pdf", reason: expect.stringMatching(/decompress to more than/) },
      { source: "late-nul.md", reason: "binary file (a NUL byte at offset 9508)" },
    ]);
    expect((await contentOf("bad-files")).every((line) => line.startsWith("good-"))).toBe(true);
  });

  it("writes a batch the database refuses one document at a time: good files kept, the bad one reported", async () => {
    // A database of its own that refuses one file's chunks, as it would a value it cannot store.
    const strict = await createTestDatabase();
    try {
      await strict.db.execute(
        sql`ALTER TABLE chunks ADD CONSTRAINT refuse_poison CHECK (position('POISON' in text) = 0)`,
      );
      await writeFile(path.join(mixed, "good-2.md"), "# Good 2\n\nThis one says POISON.\n");
      const recording = createRecordingEmbedder(createLocalEmbedder());
      const summary = await ingestFolder({ db: strict.db, embedder: recording }, mixed, {
        collection: "refused",
      });
      // All five files in one embedding request and one (failed) transaction, embedded once.
      expect(recording.calls).toHaveLength(1);
      expect(summary.documents.added).toBe(3);
      const refused = summary.skipped.find((file) => file.source === "good-2.md");
      expect(refused?.reason).toMatch(/^could not be written: 23514 .*refuse_poison/);
      expect(refused?.reason).not.toContain("POISON.");
      const [row] = await queryRows<{ documents: number; orphans: number }>(
        strict.db,
        sql`SELECT (SELECT count(*)::int FROM documents WHERE source = 'good-2.md') AS documents,
                   (SELECT count(*)::int FROM chunks c LEFT JOIN documents d ON d.id = c.document_id
                    WHERE d.id IS NULL) AS orphans`,
      );
      expect(row).toEqual({ documents: 0, orphans: 0 });
    } finally {
      await strict.close();
      await writeFile(path.join(mixed, "good-2.md"), `# Good 2\n\n${paragraphs("good2", 3)}\n`);
    }
  });
});
