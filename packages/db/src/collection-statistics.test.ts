// The collection_statistics migration: a database that already has chunks gets exact totals.
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import type { PgliteDatabase } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { afterAll, describe, expect, it } from "vitest";
import { openDatabase } from "./client";
import { migrate, migrationsFolder } from "./migrate";
import { queryRows } from "./query";

// The last migration before collection_statistics existed.
const BEFORE_STATISTICS = "0002_jobs_keys_queries";

/** A copy of migrations/ that stops at `lastTag`, as an older release shipped it. */
async function migrationsUpTo(lastTag: string): Promise<string> {
  const folder = await mkdtemp(path.join(tmpdir(), "lore-migrations-"));
  await cp(migrationsFolder, folder, { recursive: true });
  const journalPath = path.join(folder, "meta", "_journal.json");
  const journal = JSON.parse(await readFile(journalPath, "utf8")) as {
    entries: { tag: string }[];
  };
  const last = journal.entries.findIndex((entry) => entry.tag === lastTag);
  expect(last).toBeGreaterThanOrEqual(0);
  journal.entries = journal.entries.slice(0, last + 1);
  await writeFile(journalPath, JSON.stringify(journal));
  return folder;
}

describe("collection_statistics migration", () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it("backfills the totals of collections that already have chunks, then keeps them", async () => {
    const older = await migrationsUpTo(BEFORE_STATISTICS);
    cleanups.push(() => rm(older, { recursive: true, force: true }));
    const database = await openDatabase({ kind: "pglite-memory" });
    cleanups.push(() => database.close());
    await migratePglite(database.db as unknown as PgliteDatabase, {
      migrationsFolder: older,
      migrationsSchema: "lore_migrations",
    });
    await database.db.execute(sql`
      INSERT INTO collections (id, name, embedding_model, embedding_dimensions)
      VALUES ('col_a', 'a', 'test', 3), ('col_b', 'b', 'test', 3), ('col_empty', 'empty', 'test', 3)`);
    await database.db.execute(sql`
      INSERT INTO documents (id, collection_id, source, title, content_hash, mime_type)
      VALUES ('doc_a', 'col_a', 'a.md', 'A', 'h', 'text/markdown'),
             ('doc_b', 'col_b', 'b.md', 'B', 'h', 'text/markdown')`);
    await database.db.execute(sql`
      INSERT INTO chunks (id, document_id, collection_id, ordinal, text, start_line, end_line,
        token_count, content_hash, embedding)
      VALUES ('chk_1', 'doc_a', 'col_a', 0, 'one', 1, 1, 7, 'h1', '[1,0,0]'),
             ('chk_2', 'doc_a', 'col_a', 1, 'two', 2, 2, 5, 'h2', '[0,1,0]'),
             ('chk_3', 'doc_b', 'col_b', 0, 'three', 1, 1, 11, 'h3', '[0,0,1]')`);

    await migrate(database);
    const totals = () =>
      queryRows<{ collection: string; chunks: number; tokens: number }>(
        database.db,
        sql`SELECT k.name AS collection, coalesce(sum(s.chunks), 0)::int AS chunks,
              coalesce(sum(s.tokens), 0)::int AS tokens
            FROM collections k LEFT JOIN collection_statistics s ON s.collection_id = k.id
            GROUP BY k.name ORDER BY k.name`,
      );
    expect(await totals()).toEqual([
      { collection: "a", chunks: 2, tokens: 12 },
      { collection: "b", chunks: 1, tokens: 11 },
      { collection: "empty", chunks: 0, tokens: 0 },
    ]);

    // From here on the triggers count, on top of the backfilled row.
    await database.db.execute(sql`
      INSERT INTO chunks (id, document_id, collection_id, ordinal, text, start_line, end_line,
        token_count, content_hash, embedding)
      VALUES ('chk_4', 'doc_b', 'col_b', 1, 'four', 2, 2, 4, 'h4', '[1,1,0]')`);
    await database.db.execute(sql`DELETE FROM chunks WHERE id = 'chk_1'`);
    await database.db.execute(sql`UPDATE chunks SET collection_id = 'col_b' WHERE id = 'chk_2'`);
    expect(await totals()).toEqual([
      { collection: "a", chunks: 0, tokens: 0 },
      { collection: "b", chunks: 3, tokens: 20 },
      { collection: "empty", chunks: 0, tokens: 0 },
    ]);
    // A document's chunks deleted by the foreign key's cascade are counted too.
    await database.db.execute(sql`DELETE FROM documents WHERE id = 'doc_b'`);
    expect(await totals()).toEqual([
      { collection: "a", chunks: 0, tokens: 0 },
      { collection: "b", chunks: 1, tokens: 5 },
      { collection: "empty", chunks: 0, tokens: 0 },
    ]);
    await database.db.execute(sql`TRUNCATE chunks`);
    expect(await totals()).toEqual([
      { collection: "a", chunks: 0, tokens: 0 },
      { collection: "b", chunks: 0, tokens: 0 },
      { collection: "empty", chunks: 0, tokens: 0 },
    ]);
  });
});
