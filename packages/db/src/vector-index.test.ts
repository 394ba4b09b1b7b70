// HNSW settings: the session's ef_search, the graph and ef_search chosen by the vectors an index holds.
import { sql } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { openDatabase } from "./client";
import { useEfSearch } from "./hnsw-session";
import { queryRows } from "./query";
import {
  createRealTestDatabase,
  type RealTestDatabase,
  realPostgresSuite,
  realPostgresUrl,
} from "./real-postgres";
import { createTestDatabase, serveOverWire } from "./testing";
import type { Database } from "./types";
import {
  chooseEfSearch,
  chooseHnswParameters,
  DEFAULT_HNSW_EF_SEARCH,
  ensureVectorIndex,
  indexBuildSetup,
  LARGE_HNSW_MIN_ROWS,
  outgrownVectorIndex,
  rebuildVectorIndex,
  searchEfSearch,
  vectorIndexParameters,
  vectorRows,
} from "./vector-index";

let database: Database | undefined;
afterEach(async () => {
  await database?.close();
  database = undefined;
});

async function efSearch(opened: Database): Promise<number> {
  const [row] = await queryRows<{ value: string }>(
    opened.db,
    sql`SELECT current_setting('hnsw.ef_search') AS value`,
  );
  return Number(row?.value);
}

describe("HNSW session settings", () => {
  it("searches with the measured ef_search by default, and with the configured one when given", async () => {
    // From the cached template, as in createTestDatabase: a fresh initdb costs seconds each.
    database = await openDatabase({ kind: "pglite-memory", template: true });
    expect(await efSearch(database)).toBe(DEFAULT_HNSW_EF_SEARCH);
    await database.close();
    database = await openDatabase({ kind: "pglite-memory", template: true }, { hnswEfSearch: 250 });
    expect(await efSearch(database)).toBe(250);
  });

  it("applies them on a pooled Postgres connection before its first query", async () => {
    const embedded = await createTestDatabase();
    const wire = await serveOverWire(embedded);
    try {
      database = await openDatabase({ kind: "postgres", url: wire.url }, { hnswEfSearch: 170 });
      expect(await efSearch(database)).toBe(170);
    } finally {
      await database?.close();
      database = undefined;
      await wire.stop();
      await embedded.close();
    }
  });
});

describe("an index build's settings on PGlite", () => {
  it("has no parallel workers to size, whatever is asked", async () => {
    database = await createTestDatabase();
    expect(await indexBuildSetup(database.db, { buildWorkers: 2 }, "LOCAL")).toEqual([
      "SET LOCAL maintenance_work_mem = '256MB'",
    ]);
  });
});

describe("HNSW parameters by index size", () => {
  it("builds small graphs as before and denser ones from 20,000 and 50,000 vectors", () => {
    expect(chooseHnswParameters(0)).toEqual({ m: 16, efConstruction: 64 });
    expect(chooseHnswParameters(LARGE_HNSW_MIN_ROWS - 1)).toEqual({ m: 16, efConstruction: 64 });
    expect(chooseHnswParameters(LARGE_HNSW_MIN_ROWS)).toEqual({ m: 32, efConstruction: 128 });
    expect(chooseHnswParameters(49_999)).toEqual({ m: 32, efConstruction: 128 });
    expect(chooseHnswParameters(50_000)).toEqual({ m: 48, efConstruction: 192 });
    expect(chooseHnswParameters(1_000_000)).toEqual({ m: 48, efConstruction: 192 });
  });

  it("keeps configured values, and an unset ef_construction at least 2·m (pgvector's minimum)", () => {
    expect(chooseHnswParameters(100_000, { m: 12, efConstruction: 40 })).toEqual({
      m: 12,
      efConstruction: 40,
    });
    expect(chooseHnswParameters(10, { m: 24 })).toEqual({ m: 24, efConstruction: 64 });
    expect(chooseHnswParameters(10, { m: 48 })).toEqual({ m: 48, efConstruction: 96 });
    expect(chooseHnswParameters(100_000, { efConstruction: 200 })).toEqual({
      m: 48,
      efConstruction: 200,
    });
  });

  it("raises ef_search with the vectors the scan walks", () => {
    expect(chooseEfSearch(0)).toBe(DEFAULT_HNSW_EF_SEARCH);
    expect(chooseEfSearch(9_999)).toBe(100);
    expect(chooseEfSearch(10_000)).toBe(200);
    expect(chooseEfSearch(49_999)).toBe(200);
    expect(chooseEfSearch(50_000)).toBe(400);
    expect(chooseEfSearch(5_000_000)).toBe(400);
  });

  it("sends a connection SET only when it holds another ef_search", async () => {
    const sent: string[] = [];
    const connection = {};
    const run = async (statement: string) => sent.push(statement);
    await useEfSearch(connection, 400, run);
    await useEfSearch(connection, 400, run);
    await useEfSearch(connection, 200, run);
    await useEfSearch(connection, 200, run);
    expect(sent).toEqual(["SET hnsw.ef_search = 400", "SET hnsw.ef_search = 200"]);
  });
});

/** A collection of `dimensions` whose statistics say it holds `chunks` (none are stored). */
async function collectionOf(opened: Database, id: string, dimensions: number, chunks: number) {
  await opened.db.execute(sql`INSERT INTO collections (id, name, embedding_model, embedding_dimensions)
    VALUES (${id}, ${id}, 'test', ${dimensions})`);
  await opened.db.execute(sql`INSERT INTO collection_statistics (collection_id, shard, chunks, tokens)
    VALUES (${id}, 0, ${chunks}, ${chunks * 100})`);
}

describe("an index built and searched by its size", () => {
  it("is built with the graph its vectors call for, read back from pg_class", async () => {
    database = await createTestDatabase();
    // Two collections share the 8-dimension index: their vectors add up.
    await collectionOf(database, "col_a", 8, LARGE_HNSW_MIN_ROWS / 2);
    await collectionOf(database, "col_b", 8, LARGE_HNSW_MIN_ROWS / 2);
    await collectionOf(database, "col_c", 12, 10);
    expect(await vectorRows(database.db, 8)).toBe(LARGE_HNSW_MIN_ROWS);
    expect(await vectorIndexParameters(database.db, 8)).toBeUndefined();
    await ensureVectorIndex(database.db, 8);
    expect(await vectorIndexParameters(database.db, 8)).toEqual({ m: 32, efConstruction: 128 });
    await ensureVectorIndex(database.db, 12);
    expect(await vectorIndexParameters(database.db, 12)).toEqual({ m: 16, efConstruction: 64 });
    // LORE_HNSW_M wins over the choice.
    await ensureVectorIndex(database.db, 16, { m: 8 });
    expect(await vectorIndexParameters(database.db, 16)).toEqual({ m: 8, efConstruction: 64 });
  });

  it("is searched at the ef_search its vectors call for, unless LORE_HNSW_EF_SEARCH is set", async () => {
    database = await createTestDatabase();
    await collectionOf(database, "col_a", 8, 60_000);
    await collectionOf(database, "col_b", 12, 5);
    expect(await searchEfSearch(database.db, 8)).toBe(400);
    expect(await searchEfSearch(database.db, 12)).toBe(DEFAULT_HNSW_EF_SEARCH);
    // Counted once a minute: more chunks are seen on the next read, or after an index build.
    await database.db.execute(sql`UPDATE collection_statistics SET chunks = 20000`);
    expect(await searchEfSearch(database.db, 12)).toBe(DEFAULT_HNSW_EF_SEARCH);
    expect(await searchEfSearch(database.db, 12, Date.now() + 61_000)).toBe(200);
    // A handle opened with LORE_HNSW_EF_SEARCH keeps its value.
    const fixed = await openDatabase(
      { kind: "pglite-memory", template: true },
      { hnswEfSearch: 60 },
    );
    try {
      expect(await searchEfSearch(fixed.db, 8)).toBeUndefined();
    } finally {
      await fixed.close();
    }
  });
});

/** An index built small, then its collection grown past LARGE_HNSW_MIN_ROWS and rebuilt. */
async function expectRebuiltWhenOutgrown(opened: Database): Promise<void> {
  await collectionOf(opened, "col_a", 8, 100);
  await ensureVectorIndex(opened.db, 8);
  expect(await outgrownVectorIndex(opened.db, 8)).toBeUndefined();
  await opened.db.execute(sql`UPDATE collection_statistics SET chunks = ${LARGE_HNSW_MIN_ROWS}`);
  // Growing does not rebuild it: the graph stays the one it was built with.
  await ensureVectorIndex(opened.db, 8);
  expect(await outgrownVectorIndex(opened.db, 8)).toEqual({
    built: { m: 16, efConstruction: 64 },
    wanted: { m: 32, efConstruction: 128 },
    rows: LARGE_HNSW_MIN_ROWS,
  });
  // Configured values count: a configured m of 16 is not outgrown.
  expect(await outgrownVectorIndex(opened.db, 8, { m: 16, efConstruction: 64 })).toBeUndefined();
  expect(await rebuildVectorIndex(opened.db, 8)).toEqual({ m: 32, efConstruction: 128 });
  expect(await vectorIndexParameters(opened.db, 8)).toEqual({ m: 32, efConstruction: 128 });
  expect(await outgrownVectorIndex(opened.db, 8)).toBeUndefined();
  const indexes = await queryRows<{ name: string; valid: boolean }>(
    opened.db,
    sql`SELECT c.relname AS name, i.indisvalid AS valid FROM pg_index i
      JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname LIKE 'chunks_embedding_hnsw_8%'`,
  );
  expect(indexes).toEqual([{ name: "chunks_embedding_hnsw_8", valid: true }]);
}

describe("an index that outgrew its graph", () => {
  it("is reported and rebuilt with the graph its vectors call for", async () => {
    database = await createTestDatabase();
    await expectRebuiltWhenOutgrown(database);
  });
});

describe.skipIf(!realPostgresUrl())(realPostgresSuite("HNSW builds and rebuilds"), () => {
  let real: RealTestDatabase | undefined;
  afterEach(async () => {
    await real?.drop();
    real = undefined;
  });

  it("leaves a build's parallel workers to the server unless told, and lets the TOAST-heavy heap have them", async () => {
    real = await createRealTestDatabase("hnsw_build_setup");
    const { db } = real.database;
    const byDefault = await indexBuildSetup(db, {}, "LOCAL");
    // Postgres plans no worker for a heap this small (the vectors are in TOAST) ...
    expect(byDefault).toContain("SET LOCAL min_parallel_table_scan_size = 0");
    // ... and the server's max_parallel_maintenance_workers says how many.
    expect(byDefault.filter((statement) => statement.includes("max_parallel"))).toEqual([]);
    expect(await indexBuildSetup(db, { buildWorkers: 2 }, "SESSION")).toEqual(
      expect.arrayContaining([
        "SET max_parallel_maintenance_workers = 2",
        "SET min_parallel_table_scan_size = 0",
      ]),
    );
    const serial = await indexBuildSetup(db, { buildWorkers: 0 }, "LOCAL");
    expect(serial).toContain("SET LOCAL max_parallel_maintenance_workers = 0");
    expect(serial.filter((statement) => statement.includes("min_parallel"))).toEqual([]);
  });

  it("builds the new index concurrently beside the old one and swaps them", async () => {
    real = await createRealTestDatabase("hnsw_rebuild");
    await expectRebuiltWhenOutgrown(real.database);
  });
});
