import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { type Database, queryRows } from "@lore/db";
import { createTestDatabase } from "@lore/db/testing";
import {
  createLocalEmbedder,
  createRecordingEmbedder,
  type RecordingEmbedder,
} from "@lore/providers";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureCollection } from "../collections/collections";
import type { LoreContext } from "../context";
import { LoreError } from "../errors";
import { ingestFolder } from "../ingestion/ingest-folder";
import { search } from "../retrieval/search";
import { SAMPLE_DOCS_DIR } from "../sample-docs";
import { misquotedCitations, sourceLines } from "../testing";
import { ask } from "./ask";
import { NOT_FOUND_ANSWER } from "./extractive-answerer";

let database: Database;
let embedder: RecordingEmbedder;
let context: LoreContext;

async function rowCounts(): Promise<{ documents: number; chunks: number }> {
  const [row] = await queryRows<{ documents: number; chunks: number }>(
    database.db,
    sql`SELECT (SELECT count(*) FROM documents)::int AS documents, (SELECT count(*) FROM chunks)::int AS chunks`,
  );
  return row ?? { documents: -1, chunks: -1 };
}

beforeAll(async () => {
  database = await createTestDatabase();
  embedder = createRecordingEmbedder(createLocalEmbedder());
  context = { db: database.db, embedder };
  await ingestFolder(context, SAMPLE_DOCS_DIR, { collection: "default" });
});
afterAll(async () => {
  await database.close();
});

describe("ask and search over the sample docs", () => {
  const questions = [
    {
      question: "How do I roll back a bad deploy in production?",
      source: "engineering/deploy-guide.md",
    },
    {
      question: "How many days of PTO do full-time employees get?",
      source: "policies/holidays-and-leave.md",
    },
    {
      question: "What is the daily meal per-diem in the United States?",
      source: "policies/expense-and-travel.md",
    },
  ];

  it.each(questions)(
    "answers '$question' citing lines of $source that contain the quoted text",
    async ({ question, source }) => {
      const response = await ask(context, { question, collection: "default" });
      expect(response.abstained).toBe(false);
      expect(response.mode).toBe("extractive");
      expect(response.citations.length).toBeGreaterThan(0);
      expect(response.citations[0]?.source).toBe(source);
      expect(misquotedCitations(SAMPLE_DOCS_DIR, response.citations)).toEqual([]);
      for (const citation of response.citations) {
        expect(response.answer).toContain(`[${citation.n}]`);
        expect(citation.chunkId).toMatch(/^chk_/);
        expect(citation.documentId).toMatch(/^doc_/);
      }
      expect(response.queryId).toMatch(/^qry_/);
      expect(response.timings.totalMs).toBeGreaterThanOrEqual(response.timings.retrieveMs);
    },
  );

  it("search ranks the right file first and returns line ranges that hold each chunk's text", async () => {
    const { results } = await search(context, {
      query: "Sev1 incident commander paging",
      collection: "default",
      topK: 5,
    });
    expect(results).toHaveLength(5);
    expect(results[0]?.source).toBe("operations/incident-process.md");
    for (const result of results) {
      const lines = sourceLines(SAMPLE_DOCS_DIR, result.source, result.startLine, result.endLine);
      expect(lines.trim()).toBe(result.text);
    }
    const scores = results.map((result) => result.score);
    expect([...scores].sort((left, right) => right - left)).toEqual(scores);
  });

  it("filters by path prefix", async () => {
    const { results } = await search(context, {
      query: "approval",
      collection: "default",
      topK: 5,
      filters: { pathPrefix: "policies/" },
    });
    expect(results.length).toBeGreaterThan(0);
    expect(results.every((result) => result.source.startsWith("policies/"))).toBe(true);
  });

  it("abstains on a question the documents do not answer", async () => {
    const response = await ask(context, {
      question: "What is the airspeed velocity of an unladen swallow?",
      collection: "default",
    });
    expect(response).toMatchObject({ abstained: true, answer: NOT_FOUND_ANSWER, citations: [] });
  });

  it("refuses an unknown collection with not_found", async () => {
    await expect(ask(context, { question: "anything", collection: "nope" })).rejects.toMatchObject({
      code: "not_found",
    });
  });

  it("answers plainly from an empty collection", async () => {
    await ensureCollection({ db: database.db, embedder }, "empty");
    const response = await ask(context, { question: "How do I deploy?", collection: "empty" });
    expect(response.abstained).toBe(true);
    expect(response.citations).toEqual([]);
  });

  it("refuses to mix embedding models in one collection", async () => {
    const other = { db: database.db, embedder: createLocalEmbedder({ dimensions: 64 }) };
    const failure = await ask(other, { question: "deploy", collection: "default" }).catch(
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(LoreError);
    expect((failure as LoreError).code).toBe("conflict");
    expect((failure as LoreError).message).toMatch(/embedded with local:lore-hash-v1 \(1024/);
  });
});

describe("re-ingesting", () => {
  let folder: string;
  beforeAll(async () => {
    folder = await mkdtemp(path.join(tmpdir(), "lore-ingest-"));
    await writeFile(path.join(folder, "a.md"), "# Alpha\n\nThe alpha service runs on port 7001.\n");
    await writeFile(path.join(folder, "b.md"), "# Beta\n\nThe beta service runs on port 7002.\n");
    await writeFile(path.join(folder, "image.png"), "not really a png");
  });
  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it("writes nothing and embeds nothing when the folder is unchanged, and removes deleted files with --sync", async () => {
    const first = await ingestFolder(context, folder, { collection: "reingest" });
    expect(first.documents.added).toBe(2);
    expect(first.skipped).toEqual([{ source: "image.png", reason: "unsupported file type" }]);
    const before = await rowCounts();
    const embeddedBefore = embedder.textsEmbedded();

    const second = await ingestFolder(context, folder, { collection: "reingest", sync: true });
    expect(second.documents).toEqual({ added: 0, updated: 0, unchanged: 2, deleted: 0 });
    expect(second.chunks).toEqual({ added: 0, deleted: 0 });
    expect(embedder.textsEmbedded()).toBe(embeddedBefore);
    expect(await rowCounts()).toEqual(before);

    await rm(path.join(folder, "b.md"));
    const third = await ingestFolder(context, folder, { collection: "reingest", sync: true });
    expect(third.documents.deleted).toBe(1);
    expect(third.chunks.deleted).toBe(1);
    const after = await rowCounts();
    expect(after).toEqual({ documents: before.documents - 1, chunks: before.chunks - 1 });
  });
});
