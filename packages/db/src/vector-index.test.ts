// The HNSW session settings every connection gets: the measured ef_search, or the configured one.
import { sql } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { openDatabase } from "./client";
import { queryRows } from "./query";
import { createTestDatabase, serveOverWire } from "./testing";
import type { Database } from "./types";
import { DEFAULT_HNSW_EF_SEARCH } from "./vector-index";

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
