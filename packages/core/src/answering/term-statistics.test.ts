// collectionTermStatistics: exact chunk counts per question word, read from collection_terms, at any collection size.
import type { Database } from "@lore/db";
import { createTestDatabase } from "@lore/db/testing";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collectionTermStatistics } from "./term-statistics";

let database: Database;

/** `count` chunks of `text` in collection `name`, written in one statement. */
async function addChunks(name: string, text: string, count: number, first: number): Promise<void> {
  await database.db.execute(sql`
    INSERT INTO chunks (id, document_id, collection_id, ordinal, text, start_line, end_line,
      token_count, content_hash, embedding)
    SELECT 'chk_' || ${name} || '_' || n, ${`doc_${name}`}, ${`col_${name}`}, n, ${text}, 1, 1, 5,
      'hash_' || n, '[1,0,0]'
    FROM generate_series(${first}::int, ${first + count - 1}::int) AS n`);
}

beforeAll(async () => {
  database = await createTestDatabase();
  await database.db.execute(sql`
    INSERT INTO collections (id, name, embedding_model, embedding_dimensions)
    VALUES ('col_big', 'big', 'test', 3), ('col_other', 'other', 'test', 3)`);
  await database.db.execute(sql`
    INSERT INTO documents (id, collection_id, source, title, content_hash, mime_type)
    VALUES ('doc_big', 'col_big', 'big.md', 'Big', 'b', 'text/markdown'),
      ('doc_other', 'col_other', 'other.md', 'Other', 'o', 'text/markdown')`);
  // More chunks hold "deploy" than the old index scan counted (it stopped at 5,000).
  await addChunks("big", "Deploy the service and check the dashboards.", 5_010, 0);
  await addChunks("big", "The wrap-up meeting follows every deploy.", 40, 5_010);
  await addChunks("other", "Deploy wrap-up notes.", 3, 0);
});
afterAll(async () => {
  await database.close();
});

describe("collectionTermStatistics", () => {
  it("counts every chunk holding a word, past any cap, in the asked collection only", async () => {
    const statistics = await collectionTermStatistics(
      database,
      "big",
      "Who runs the wrap-up after a deploy?",
    );
    expect(statistics.chunks).toBe(5_050);
    expect(statistics.frequency.get("deploy")).toBe(5_050);
    // Counted in this collection only ("other" holds wrap-up notes too).
    expect(statistics.frequency.get("wrap")).toBe(40);
    // A word no chunk holds, and a stop word, count as in none.
    expect(statistics.frequency.get("run") ?? 0).toBe(0);
    expect(statistics.frequency.get("who") ?? 0).toBe(0);
  });

  it("knows an unknown collection has no chunks", async () => {
    const statistics = await collectionTermStatistics(database, "missing", "deploy");
    expect(statistics.chunks).toBe(0);
    expect(statistics.frequency.get("deploy") ?? 0).toBe(0);
  });
});
