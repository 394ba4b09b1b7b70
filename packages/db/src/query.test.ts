// queryRowsPrepared returns what queryRows does, on PGlite and over the wire with several pooled connections.
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postgresPool } from "./postgres-pool";
import { queryRows, queryRowsPrepared } from "./query";
import { openOverWire, type WiredDatabase } from "./testing";
import type { Database } from "./types";

let wired: WiredDatabase;
let embedded: Database;
let server: Database;
beforeAll(async () => {
  wired = await openOverWire(4);
  ({ embedded, server } = wired);
});
afterAll(async () => {
  await wired?.close();
});

const statement = (value: number) => sql`SELECT ${value}::int * 2 AS doubled`;

describe("queryRowsPrepared", () => {
  it("answers as queryRows does on PGlite", async () => {
    expect(await queryRowsPrepared(embedded.db, statement(4))).toEqual(
      await queryRows(embedded.db, statement(4)),
    );
  });

  it("prepares the same statement on several connections of one PGlite session", async () => {
    // Eight at once on an empty pool of four: the pool opens all four, and pglite-socket runs
    // them in PGlite's one session, where each connection's Parse of the statement meets the
    // others'.
    const rows = await Promise.all(
      Array.from({ length: 8 }, (_, index) =>
        queryRowsPrepared<{ doubled: number }>(server.db, statement(index)),
      ),
    );
    expect(rows).toEqual(Array.from({ length: 8 }, (_, index) => [{ doubled: index * 2 }]));
    expect(postgresPool(server.db)?.totalCount).toBeGreaterThan(1);
    const again = await queryRowsPrepared<{ doubled: number }>(server.db, statement(21));
    expect(again).toEqual([{ doubled: 42 }]);
  });
});
