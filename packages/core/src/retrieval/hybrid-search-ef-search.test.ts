// Hybrid search runs its ANN at the hnsw.ef_search its index's size calls for, on PGlite and on the real Postgres, unless LORE_HNSW_EF_SEARCH fixes it.
import { type Database, DEFAULT_HNSW_EF_SEARCH, migrate, openDatabase, queryRows } from "@lore/db";
import {
  createRealTestDatabase,
  type RealTestDatabase,
  realPostgresSuite,
  realPostgresUrl,
} from "@lore/db/real-postgres";
import { createTestDatabase } from "@lore/db/testing";
import { createLocalEmbedder, type Embedder } from "@lore/providers";
import { sql } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { type Collection, ensureCollection } from "../collections/collections";
import { hybridSearch } from "./hybrid-search";

// Each dimension has its own index, so two embedders give a small and a large one side by side.
const small = createLocalEmbedder({ dimensions: 16 });
const large = createLocalEmbedder({ dimensions: 24 });

/** A collection whose statistics say it holds `chunks` (none are stored: only the count matters). */
async function collectionOf(
  database: Database,
  embedder: Embedder,
  name: string,
  chunks: number,
): Promise<Collection> {
  const collection = await ensureCollection({ db: database.db, embedder }, name);
  await database.db.execute(sql`INSERT INTO collection_statistics (collection_id, shard, chunks, tokens)
    VALUES (${collection.id}, 0, ${chunks}, ${chunks * 100})`);
  return collection;
}

/** Searches the collection, then reads ef_search in the session the search ran in. */
async function efSearchOfSearch(
  database: Database,
  embedder: Embedder,
  collection: Collection,
): Promise<number> {
  const [vector] = await embedder.embed(["how do I rotate the keys"]);
  await hybridSearch({ db: database.db }, collection, "rotate keys", vector ?? [], { topK: 5 });
  // PGlite's one session, or the one connection of the real-Postgres test pool.
  const [row] = await queryRows<{ value: string }>(
    database.db,
    sql`SELECT current_setting('hnsw.ef_search') AS value`,
  );
  return Number(row?.value);
}

async function expectEfSearchBySize(database: Database): Promise<void> {
  const handbook = await collectionOf(database, small, "handbook", 500);
  // Two collections of one dimension share its graph: 2 × 30,000 vectors.
  const archive = await collectionOf(database, large, "archive", 30_000);
  await collectionOf(database, large, "mail", 30_000);
  expect(await efSearchOfSearch(database, small, handbook)).toBe(DEFAULT_HNSW_EF_SEARCH);
  expect(await efSearchOfSearch(database, large, archive)).toBe(400);
  expect(await efSearchOfSearch(database, small, handbook)).toBe(DEFAULT_HNSW_EF_SEARCH);
}

let opened: Database | undefined;
afterEach(async () => {
  await opened?.close();
  opened = undefined;
});

describe("hybrid search's ef_search by index size (PGlite)", () => {
  it("searches a 500-vector index at the default and a 60,000-vector one at 400", async () => {
    opened = await createTestDatabase();
    await expectEfSearchBySize(opened);
  });

  it("keeps LORE_HNSW_EF_SEARCH when it is set", async () => {
    opened = await openDatabase({ kind: "pglite-memory", template: true }, { hnswEfSearch: 60 });
    await migrate(opened);
    const archive = await collectionOf(opened, large, "archive", 60_000);
    expect(await efSearchOfSearch(opened, large, archive)).toBe(60);
  });
});

describe.skipIf(!realPostgresUrl())(realPostgresSuite("hybrid search's ef_search"), () => {
  let real: RealTestDatabase | undefined;
  afterEach(async () => {
    await real?.drop();
    real = undefined;
  });

  it("sets it on the pooled connection before the prepared statement runs", async () => {
    real = await createRealTestDatabase("ef_search", { poolSize: 1 });
    await expectEfSearchBySize(real.database);
  });
});
