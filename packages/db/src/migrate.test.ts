import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Database, openDatabase } from "./client";
import { migrate } from "./migrate";
import { queryRows } from "./query";
import {
  createRealTestDatabase,
  type RealTestDatabase,
  realPostgresSuite,
  realPostgresUrl,
} from "./real-postgres";
import { serveOverWire } from "./testing";

const CONTRACT_TABLES = ["chunks", "collections", "documents"];

async function tables(database: Database): Promise<string[]> {
  const rows = await queryRows<{ name: string }>(
    database.db,
    sql`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`,
  );
  return rows.map((row) => row.name);
}

async function appliedMigrations(database: Database): Promise<number> {
  const [row] = await queryRows<{ total: number }>(
    database.db,
    sql`SELECT count(*)::int AS total FROM lore_migrations.__drizzle_migrations`,
  );
  return row?.total ?? 0;
}

describe("migrations", () => {
  // Closed last-opened first: pools, then the wire server, then the PGlite behind it.
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it("apply on in-process PGlite, create the contract's tables and pgvector, and re-run as a no-op", async () => {
    const database = await openDatabase({ kind: "pglite-memory" });
    cleanups.push(() => database.close());
    await migrate(database);
    const once = await appliedMigrations(database);
    await migrate(database);
    expect(await appliedMigrations(database)).toBe(once);
    expect(once).toBeGreaterThanOrEqual(2);
    expect(await tables(database)).toEqual(expect.arrayContaining(CONTRACT_TABLES));
    const [extension] = await queryRows<{ extname: string }>(
      database.db,
      sql`SELECT extname FROM pg_extension WHERE extname = 'vector'`,
    );
    expect(extension?.extname).toBe("vector");
  });

  // PGlite is a single backend session, so the advisory lock that serialises concurrent
  // migrators on a real Postgres cannot be exercised here; two sequential runs can.
  it("apply through the pg driver over the wire protocol, and re-run as a no-op", async () => {
    const backing = await openDatabase({ kind: "pglite-memory" });
    cleanups.push(() => backing.close());
    const wire = await serveOverWire(backing);
    cleanups.push(wire.stop);
    const first = await openDatabase({ kind: "postgres", url: wire.url, poolSize: 2 });
    cleanups.push(() => first.close());
    await migrate(first);
    await migrate(first);
    expect(await tables(first)).toEqual(expect.arrayContaining(CONTRACT_TABLES));
    expect(await appliedMigrations(first)).toBe(await appliedMigrations(backing));
    expect(await appliedMigrations(first)).toBeGreaterThanOrEqual(2);
  });
});

describe.skipIf(!realPostgresUrl())(realPostgresSuite("migrations on Postgres"), () => {
  let real: RealTestDatabase;
  beforeAll(async () => {
    real = await createRealTestDatabase("db_migrate", { migrated: false });
  });
  afterAll(async () => {
    await real?.drop();
  });

  it("serialise concurrent migrators (replicas starting together) with the advisory lock", async () => {
    const replicas = await Promise.all(
      Array.from({ length: 4 }, () =>
        openDatabase({ kind: "postgres", url: real.url, poolSize: 2 }),
      ),
    );
    try {
      await Promise.all(replicas.map((replica) => migrate(replica)));
      const applied = await appliedMigrations(real.database);
      expect(applied).toBeGreaterThanOrEqual(2);
      await migrate(real.database);
      expect(await appliedMigrations(real.database)).toBe(applied);
      expect(await tables(real.database)).toEqual(expect.arrayContaining(CONTRACT_TABLES));
    } finally {
      await Promise.all(replicas.map((replica) => replica.close()));
    }
  });
});
