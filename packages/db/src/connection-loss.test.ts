// A dropped database connection is reported and replaced, never fatal: idle, in a transaction, and LISTENing.
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "./client";
import { isConnectionError } from "./errors";
import { queryRows } from "./query";
import {
  createRealTestDatabase,
  type RealTestDatabase,
  realPostgresSuite,
  realPostgresUrl,
} from "./real-postgres";
import { retryWhenUnreachable, waitUntilReachable } from "./reconnect";
import { createTestDatabase, freePort, serveOverWire, type WireServer } from "./testing";
import type { Database } from "./types";

/** Fills the pool with `count` open connections that then sit idle. */
async function openIdleConnections(database: Database, count: number): Promise<void> {
  await Promise.all(
    Array.from({ length: count }, () => database.db.execute(sql`SELECT pg_sleep(0.05)`)),
  );
}

/** Runs `run` until it succeeds; every failure on the way must be a connection error. */
async function untilAnswered<T>(run: () => Promise<T>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await run();
    } catch (error) {
      expect(isConnectionError(error), String(error)).toBe(true);
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

describe("a Postgres pool whose server goes away (over the wire to PGlite)", () => {
  let embedded: Database;
  let wire: WireServer;
  let port: number;
  beforeAll(async () => {
    embedded = await createTestDatabase();
    port = await freePort();
    wire = await serveOverWire(embedded, { port });
  });
  afterAll(async () => {
    await wire.stop();
    await embedded.close();
  });

  it("reports the broken idle connections, fails queries as unreachable, and recovers", async () => {
    const database = await openDatabase({ kind: "postgres", url: wire.url, poolSize: 3 });
    const reported: Error[] = [];
    const unsubscribe = database.onConnectionError((error) => reported.push(error));
    try {
      await openIdleConnections(database, 3);
      expect(database.pool?.idleCount).toBe(3);
      await wire.stop();
      // Without a listener each of these was an uncaught 'error' event: the process exited.
      await expect.poll(() => reported.length).toBe(3);
      expect(reported.every(isConnectionError)).toBe(true);
      const refused = await database.db.execute(sql`SELECT 1`).catch((error: unknown) => error);
      expect(isConnectionError(refused)).toBe(true);
      wire = await serveOverWire(embedded, { port });
      await waitUntilReachable(database.db);
      expect(await queryRows(database.db, sql`SELECT 1 AS one`)).toEqual([{ one: 1 }]);
    } finally {
      unsubscribe();
      await database.close();
    }
  });

  it("gives back a client whose connection died as it was handed out (no leaked pool slot)", async () => {
    const database = await openDatabase({ kind: "postgres", url: wire.url, poolSize: 1 });
    try {
      await openIdleConnections(database, 1);
      // The socket dies between checkout and drizzle's BEGIN, as after a restart the pool had
      // not noticed yet. drizzle runs BEGIN outside its try/finally, so nothing released it.
      database.pool?.once("acquire", (client) => {
        (
          client as unknown as { connection: { stream: { destroy(): void } } }
        ).connection.stream.destroy();
      });
      const failed = await database.db
        .transaction(async (transaction) => transaction.execute(sql`SELECT 1`))
        .catch((error: unknown) => error);
      expect(isConnectionError(failed)).toBe(true);
      // With the one slot leaked this waited for a connection until the connect timeout.
      const rows = await database.db.transaction(async (transaction) =>
        queryRows(transaction, sql`SELECT 2 AS two`),
      );
      expect(rows).toEqual([{ two: 2 }]);
    } finally {
      await database.close();
    }
  });

  it("keeps a listener: it reconnects with backoff and hears NOTIFY again", async () => {
    const listening = await openDatabase({ kind: "postgres", url: wire.url, poolSize: 2 });
    const sending = await openDatabase({ kind: "postgres", url: wire.url, poolSize: 1 });
    let heard = 0;
    const unlisten = await listening.listen("lore_reconnect", () => {
      heard += 1;
    });
    try {
      await sending.db.execute(sql`SELECT pg_notify('lore_reconnect', '')`);
      await expect.poll(() => heard).toBe(1);
      await wire.stop();
      wire = await serveOverWire(embedded, { port });
      // The listener calls back once when it is listening again (notifications may have been missed).
      await expect.poll(() => heard, { timeout: 10_000 }).toBe(2);
      await untilAnswered(() => sending.db.execute(sql`SELECT pg_notify('lore_reconnect', '')`));
      await expect.poll(() => heard).toBe(3);
    } finally {
      await unlisten();
      await sending.close();
      await listening.close();
    }
  });
});

describe.skipIf(!realPostgresUrl())(realPostgresSuite("connection loss on Postgres"), () => {
  let real: RealTestDatabase;
  let admin: Database;
  beforeAll(async () => {
    real = await createRealTestDatabase("db_connection_loss", { poolSize: 4 });
    admin = await openDatabase({ kind: "postgres", url: realPostgresUrl() ?? "", poolSize: 1 });
  });
  afterAll(async () => {
    await admin?.close();
    await real?.drop();
  });

  /** pg_terminate_backend on every connection to the test database; how many it ended. */
  async function terminateAll(): Promise<number> {
    const result = await admin.pool?.query<{ ended: number }>(
      `SELECT count(pg_terminate_backend(pid))::int AS ended FROM pg_stat_activity
       WHERE datname = $1 AND pid <> pg_backend_pid()`,
      [real.name],
    );
    return result?.rows[0]?.ended ?? 0;
  }

  it("survives pg_terminate_backend on idle pooled connections", async () => {
    const reported: Error[] = [];
    const unsubscribe = real.database.onConnectionError((error) => reported.push(error));
    try {
      await openIdleConnections(real.database, 4);
      expect(await terminateAll()).toBe(4);
      await expect.poll(() => reported.length).toBe(4);
      expect(reported.every(isConnectionError)).toBe(true);
      const rows = await untilAnswered(() => queryRows(real.database.db, sql`SELECT 1 AS one`));
      expect(rows).toEqual([{ one: 1 }]);
    } finally {
      unsubscribe();
    }
  });

  it("survives it in the middle of a transaction: the transaction fails as unreachable", async () => {
    const reported: Error[] = [];
    const unsubscribe = real.database.onConnectionError((error) => reported.push(error));
    try {
      const outcome = await real.database.db
        .transaction(async (transaction) => {
          await transaction.execute(sql`SELECT 1`);
          await terminateAll();
          // The checked-out client hears of it between two queries: an 'error' event then.
          await expect.poll(() => reported.length).toBeGreaterThan(0);
          await transaction.execute(sql`SELECT 2`);
        })
        .catch((error: unknown) => error);
      expect(isConnectionError(outcome)).toBe(true);
      // retryWhenUnreachable re-runs idempotent work once the database answers again.
      let runs = 0;
      const value = await retryWhenUnreachable(real.database.db, async () => {
        runs += 1;
        // The first run's backend ends itself mid-query: 57P01, as in a restart.
        const ownEnd = runs === 1 ? sql`pg_terminate_backend(pg_backend_pid())` : sql`true`;
        const rows = await queryRows<{ seven: number }>(
          real.database.db,
          sql`SELECT ${ownEnd}, 7 AS seven`,
        );
        return rows[0]?.seven;
      });
      expect(runs).toBe(2);
      expect(value).toBe(7);
    } finally {
      unsubscribe();
    }
  });

  it("keeps a LISTEN connection through pg_terminate_backend", async () => {
    let heard = 0;
    const unlisten = await real.database.listen("lore_reconnect", () => {
      heard += 1;
    });
    try {
      await terminateAll();
      await expect.poll(() => heard, { timeout: 10_000 }).toBe(1);
      await untilAnswered(() => admin.db.execute(sql`SELECT 1`));
      await untilAnswered(() =>
        real.database.db.execute(sql`SELECT pg_notify('lore_reconnect', '')`),
      );
      await expect.poll(() => heard).toBe(2);
    } finally {
      await unlisten();
    }
  });
});
