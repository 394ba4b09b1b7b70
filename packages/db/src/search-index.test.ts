// chunks.search filled by its writers (migration 0013): the same tsvector the generated column made, on PGlite and the real Postgres.
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, describe, expect, it } from "vitest";
import { type ChunkRow, chunkWriteTransaction, writesChunksByCopy } from "./chunk-rows";
import { openDatabase } from "./client";
import { migrate, migrationsFolder } from "./migrate";
import { queryRows } from "./query";
import {
  createRealTestDatabase,
  type RealTestDatabase,
  realPostgresSuite,
  realPostgresUrl,
} from "./real-postgres";
import { fullTextVectors } from "./search-index";
import { createTestDatabase } from "./testing";
import type { Database } from "./types";

// Stemming, stop words, numbers, URLs, hyphenated and accented words, markup and empty parts.
const samples: { heading: string; text: string }[] = [
  { heading: "", text: "Plain prose about the deploy." },
  { heading: "Guide > Install > Linux", text: "Running `pnpm install` installs the packages." },
  { heading: "FAQ", text: "Is 401(k) matching 4%? See https://example.com/benefits#401k-plans." },
  { heading: "Ünïcödé", text: "Café naïve — “quotes” 'single' \\ backslash, e-mail self-hosted." },
  { heading: "Lines", text: "lines\nand\r\nmore lines; emoji 🚀 and 日本語\tand a tab" },
  { heading: "Repeated", text: `${"token ".repeat(300)}end` },
  { heading: "The", text: "" },
];

function rowsFor(documentId: string, prefix: string): ChunkRow[] {
  return samples.map(({ heading, text }, ordinal) => ({
    id: `${prefix}_${ordinal}`,
    documentId,
    collectionId: "col_search",
    ordinal,
    text,
    heading,
    startLine: ordinal + 1,
    endLine: ordinal + 2,
    tokenCount: 10,
    contentHash: `hash_${ordinal}`,
    embedding: [0.5, -0.5, 1, 0],
  }));
}

/** The document's full-text vectors in chunk order, as text. */
async function searchOf(database: Database, documentId: string): Promise<string[]> {
  const rows = await queryRows<{ search: string }>(
    database.db,
    sql`SELECT search::text AS search FROM chunks WHERE document_id = ${documentId} ORDER BY ordinal`,
  );
  return rows.map((row) => row.search);
}

/** What the generated column of migrations 0001–0012 computes for the samples, as text. */
async function generatedSearch(database: Database): Promise<string[]> {
  await database.db.execute(sql`
    CREATE TEMP TABLE IF NOT EXISTS generated_search (ordinal int, heading text, text text,
      search tsvector GENERATED ALWAYS AS (to_tsvector('english', heading || ' ' || text)) STORED)`);
  await database.db.execute(sql`TRUNCATE generated_search`);
  for (const [ordinal, { heading, text }] of samples.entries()) {
    await database.db.execute(
      sql`INSERT INTO generated_search (ordinal, heading, text) VALUES (${ordinal}, ${heading}, ${text})`,
    );
  }
  const rows = await queryRows<{ search: string }>(
    database.db,
    sql`SELECT search::text AS search FROM generated_search ORDER BY ordinal`,
  );
  return rows.map((row) => row.search);
}

async function addDocument(database: Database, id: string): Promise<void> {
  await database.db.execute(sql`
    INSERT INTO documents (id, collection_id, source, title, content_hash, mime_type)
    VALUES (${id}, 'col_search', ${`${id}.md`}, 'T', 'h', 'text/markdown')`);
}

/** The cases both servers must pass; `database` is migrated, with no rows. */
function searchCases(open: () => Promise<{ database: Database; close(): Promise<void> }>) {
  let database: Database;
  let close: (() => Promise<void>) | undefined;
  afterAll(async () => {
    await close?.();
  });

  it("fills search as the generated column did, on every write path", async () => {
    ({ database, close } = await open());
    await database.db.execute(sql`
      INSERT INTO collections (id, name, embedding_model, embedding_dimensions)
      VALUES ('col_search', 'search', 'test', 4)`);
    const [column] = await queryRows<{ generated: string }>(
      database.db,
      sql`SELECT attgenerated::text AS generated FROM pg_attribute
          WHERE attrelid = 'chunks'::regclass AND attname = 'search'`,
    );
    expect(column?.generated).toBe("");
    const expected = await generatedSearch(database);
    expect(expected[1]).toContain("'instal':");

    // The ingest's path on this server (COPY or INSERTs), vectors computed ahead when it copies.
    const ahead = await fullTextVectors(database.db, samples);
    await addDocument(database, "doc_ahead");
    await chunkWriteTransaction(database.db, (_transaction, writeChunks) =>
      writeChunks(
        rowsFor("doc_ahead", "ahead").map((row, index) => ({
          ...row,
          search: ahead[index] as Uint8Array,
        })),
      ),
    );
    expect(await searchOf(database, "doc_ahead")).toEqual(expected);

    // Without vectors computed ahead (COPY sends NULLs for the trigger; INSERTs compute them).
    await addDocument(database, "doc_plain");
    await chunkWriteTransaction(database.db, (_transaction, writeChunks) =>
      writeChunks(rowsFor("doc_plain", "plain")),
    );
    expect(await searchOf(database, "doc_plain")).toEqual(expected);

    // Multi-row INSERTs (PGlite's path) on either server.
    await addDocument(database, "doc_insert");
    await chunkWriteTransaction(
      database.db,
      (_transaction, writeChunks) => writeChunks(rowsFor("doc_insert", "insert")),
      { copy: false },
    );
    expect(await searchOf(database, "doc_insert")).toEqual(expected);

    // A writer that knows nothing of the column (a manual INSERT): the trigger fills it.
    await addDocument(database, "doc_manual");
    for (const [ordinal, { heading, text }] of samples.entries()) {
      await database.db.execute(sql`
        INSERT INTO chunks (id, document_id, collection_id, ordinal, text, heading, start_line,
          end_line, token_count, content_hash, embedding)
        VALUES (${`manual_${ordinal}`}, 'doc_manual', 'col_search', ${ordinal}, ${text},
          ${heading}, 1, 2, 10, 'h', '[1,0,0,0]')`);
    }
    expect(await searchOf(database, "doc_manual")).toEqual(expected);
  });

  it("recomputes search when a chunk's text or heading changes, and keeps one set explicitly", async () => {
    await database.db.execute(
      sql`UPDATE chunks SET text = 'Deploying on Fridays' WHERE id = 'plain_0'`,
    );
    await database.db.execute(sql`UPDATE chunks SET heading = 'Kittens' WHERE id = 'plain_1'`);
    await database.db.execute(sql`UPDATE chunks SET token_count = 11 WHERE id = 'plain_2'`);
    await database.db.execute(
      sql`UPDATE chunks SET text = 'ignored words', search = 'kept'::tsvector WHERE id = 'plain_3'`,
    );
    const search = await searchOf(database, "doc_plain");
    expect(search.slice(0, 4)).toEqual([
      "'deploy':1 'friday':3",
      `'instal':4,5 'kitten':1 'packag':7 'pnpm':3 'run':2`,
      (await generatedSearch(database))[2],
      "'kept'",
    ]);
  });
}

/** The bundled migrations without the newest (0013), as the release before it shipped them. */
async function migrationsBefore0013(): Promise<{ folder: string; remove(): Promise<void> }> {
  const folder = await mkdtemp(path.join(tmpdir(), "lore-migrations-0012-"));
  await cp(migrationsFolder, folder, { recursive: true });
  const journalFile = path.join(folder, "meta", "_journal.json");
  const journal = JSON.parse(await readFile(journalFile, "utf8")) as {
    entries: { tag: string }[];
  };
  journal.entries = journal.entries.filter((entry) => entry.tag < "0013");
  await writeFile(journalFile, JSON.stringify(journal));
  return { folder, remove: () => rm(folder, { recursive: true, force: true }) };
}

/** Migrates to 0012, writes chunks with the generated column, then applies 0013 and the rest. */
async function upgradeKeepsSearch(database: Database): Promise<void> {
  const before = await migrationsBefore0013();
  try {
    await migrate(database, { folder: before.folder });
  } finally {
    await before.remove();
  }
  await database.db.execute(sql`
    INSERT INTO collections (id, name, embedding_model, embedding_dimensions)
    VALUES ('col_search', 'search', 'test', 4)`);
  await addDocument(database, "doc_old");
  // Before 0013 no writer may name the generated column: the rows go in as a manual INSERT.
  for (const [ordinal, { heading, text }] of samples.entries()) {
    await database.db.execute(sql`
      INSERT INTO chunks (id, document_id, collection_id, ordinal, text, heading, start_line,
        end_line, token_count, content_hash, embedding)
      VALUES (${`old_${ordinal}`}, 'doc_old', 'col_search', ${ordinal}, ${text}, ${heading}, 1, 2,
        10, 'h', '[1,0,0,0]')`);
  }
  const generated = await searchOf(database, "doc_old");
  expect(generated[1]).toContain("'instal':");
  expect(await migrate(database)).toBe("migrated");
  expect(await searchOf(database, "doc_old")).toEqual(generated);
  const [column] = await queryRows<{ generated: string }>(
    database.db,
    sql`SELECT attgenerated::text AS generated FROM pg_attribute
        WHERE attrelid = 'chunks'::regclass AND attname = 'search'`,
  );
  expect(column?.generated).toBe("");
}

describe("chunks.search on PGlite", () => {
  searchCases(async () => {
    const database = await createTestDatabase();
    expect(await writesChunksByCopy(database.db)).toBe(false);
    return { database, close: () => database.close() };
  });

  it("keeps existing rows' vectors when 0013 turns the generated column into a plain one", async () => {
    const database = await openDatabase({ kind: "pglite-memory" });
    try {
      await upgradeKeepsSearch(database);
    } finally {
      await database.close();
    }
  }, 120_000);
});

describe.skipIf(!realPostgresUrl())(realPostgresSuite("chunks.search on Postgres"), () => {
  searchCases(async () => {
    const real: RealTestDatabase = await createRealTestDatabase("c_search", { poolSize: 3 });
    expect(await writesChunksByCopy(real.database.db)).toBe(true);
    return { database: real.database, close: () => real.drop() };
  });

  it("keeps existing rows' vectors when 0013 turns the generated column into a plain one", async () => {
    const real = await createRealTestDatabase("c_search_upgrade", { migrated: false });
    try {
      await upgradeKeepsSearch(real.database);
    } finally {
      await real.drop();
    }
  });
});
