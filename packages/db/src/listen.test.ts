// Database.listen: notifications in-process, and a pooled listener that gives its connection back.
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "./client";
import { queryRows } from "./query";
import { createTestDatabase, serveOverWire, type WireServer } from "./testing";
import type { Database } from "./types";

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
    let witnessed = 0;
    const unlisten = await embedded.listen("lore_test", () => {
      heard += 1;
    });
    // A second listener on the channel: once it hears a NOTIFY, the first would have too.
    const unwitness = await embedded.listen("lore_test", () => {
      witnessed += 1;
    });
    await embedded.db.execute(sql`SELECT pg_notify('lore_test', 'a')`);
    await embedded.db.execute(sql`SELECT pg_notify('lore_other', 'b')`);
    await expect.poll(() => heard).toBe(1);
    await unlisten();
    await embedded.db.execute(sql`SELECT pg_notify('lore_test', 'c')`);
    await expect.poll(() => witnessed).toBe(2);
    expect(heard).toBe(1);
    await unwitness();
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

  it("hears a NOTIFY sent from another connection, over the wire, until it unlistens", async () => {
    const listening = await openDatabase({ kind: "postgres", url: wire.url, poolSize: 2 });
    const sending = await openDatabase({ kind: "postgres", url: wire.url, poolSize: 1 });
    try {
      let heard = 0;
      let witnessed = 0;
      const unlisten = await listening.listen("lore_wire", () => {
        heard += 1;
      });
      // PGlite is one session, so a second LISTEN on the channel would end with the first's
      // UNLISTEN: the witness listens on its own channel, notified in the same statement, after.
      const unwitness = await listening.listen("lore_witness", () => {
        witnessed += 1;
      });
      await sending.db.execute(sql`SELECT pg_notify('lore_wire', 'a')`);
      await sending.db.execute(sql`SELECT pg_notify('lore_other', 'b')`);
      await expect.poll(() => heard).toBe(1);
      // The sender's own connection and queries are untouched by the routing.
      const [row] = await queryRows<{ one: number }>(sending.db, sql`SELECT 1 AS one`);
      expect(row?.one).toBe(1);
      await unlisten();
      await sending.db.execute(
        sql`SELECT pg_notify('lore_wire', 'c'), pg_notify('lore_witness', 'd')`,
      );
      await expect.poll(() => witnessed).toBe(1);
      expect(heard).toBe(1);
      await unwitness();
    } finally {
      await sending.close();
      await listening.close();
    }
  });

  it("refuses a channel that is not a plain identifier", async () => {
    await expect(embedded.listen("jobs; DROP TABLE chunks", () => {})).rejects.toThrow(
      /Invalid notification channel/,
    );
  });
});
