// Database.listen: notifications in-process, and a pooled listener that gives its connection back.
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Database, openDatabase } from "./client";
import { queryRows } from "./query";
import { createTestDatabase, serveOverWire, type WireServer } from "./testing";

let embedded: Database;
let wire: WireServer;
beforeAll(async () => {
  embedded = await createTestDatabase();
  wire = await serveOverWire(embedded);
});
afterAll(async () => {
  await wire.stop();
  await embedded.close();
});

describe("Database.listen", () => {
  it("calls back on each NOTIFY of its channel until unsubscribed", async () => {
    let heard = 0;
    const unlisten = await embedded.listen("lore_test", () => {
      heard += 1;
    });
    await embedded.db.execute(sql`SELECT pg_notify('lore_test', 'a')`);
    await embedded.db.execute(sql`SELECT pg_notify('lore_other', 'b')`);
    await expect.poll(() => heard).toBe(1);
    await unlisten();
    await embedded.db.execute(sql`SELECT pg_notify('lore_test', 'c')`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(heard).toBe(1);
  });

  it("holds one pooled connection while listening and returns it afterwards", async () => {
    const pool = await openDatabase({ kind: "postgres", url: wire.url, poolSize: 1 });
    try {
      const unlisten = await pool.listen("lore_test", () => {});
      expect(pool.pool?.idleCount).toBe(0);
      await unlisten();
      const [row] = await queryRows<{ one: number }>(pool.db, sql`SELECT 1 AS one`);
      expect(row?.one).toBe(1);
    } finally {
      await pool.close();
    }
  });

  it("refuses a channel that is not a plain identifier", async () => {
    await expect(embedded.listen("jobs; DROP TABLE chunks", () => {})).rejects.toThrow(
      /Invalid notification channel/,
    );
  });
});
