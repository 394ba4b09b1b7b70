import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { openDatabase } from "./client";
import { migrate, migrationsFolder } from "./migrate";
import { queryRows } from "./query";
import {
  createRealTestDatabase,
  type RealTestDatabase,
  realPostgresSuite,
  realPostgresUrl,
} from "./real-postgres";
import { serveOverWire } from "./testing";
import type { Database } from "./types";

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

/** A copy of the bundled migrations plus one more, as a newer release would ship it. */
async function migrationsWithOneMore(): Promise<{ folder: string; remove(): Promise<void> }> {
  const folder = await mkdtemp(path.join(tmpdir(), "lore-migrations-"));
  await cp(migrationsFolder, folder, { recursive: true });
  const journalFile = path.join(folder, "meta", "_journal.json");
  const journal = JSON.parse(await readFile(journalFile, "utf8")) as {
    entries: { idx: number; version: string; when: number; tag: string; breakpoints: boolean }[];
  };
  const last = journal.entries.at(-1);
  if (!last) throw new Error("no bundled migrations");
  const tag = `${String(last.idx + 1).padStart(4, "0")}_stale_probe`;
  journal.entries.push({ ...last, idx: last.idx + 1, when: last.when + 1, tag });
  await writeFile(journalFile, JSON.stringify(journal));
  await writeFile(path.join(folder, `${tag}.sql`), "CREATE TABLE stale_probe (id integer);");
  return { folder, remove: () => rm(folder, { recursive: true, force: true }) };
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

  it("check a current schema with one query, and migrate a stale one", async () => {
    const database = await openDatabase({ kind: "pglite-memory" });
    cleanups.push(() => database.close());
    const newer = await migrationsWithOneMore();
    cleanups.push(newer.remove);
    expect(await migrate(database)).toBe("migrated");
    const pglite = database.pglite;
    if (!pglite) throw new Error("expected PGlite");
    const calls = [
      vi.spyOn(pglite, "query"),
      vi.spyOn(pglite, "exec"),
      vi.spyOn(pglite, "transaction"),
    ];
    const total = () => calls.reduce((sum, spy) => sum + spy.mock.calls.length, 0);
    expect(await migrate(database)).toBe("current");
    expect(total()).toBe(1);
    // A release with one more migration finds the schema stale and applies only that one.
    expect(await migrate(database, { folder: newer.folder })).toBe("migrated");
    expect(await tables(database)).toContain("stale_probe");
    const before = total();
    expect(await migrate(database, { folder: newer.folder })).toBe("current");
    expect(total() - before).toBe(1);
    for (const spy of calls) spy.mockRestore();
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
      // Migrated: a start-up check is one query on the pool, no connection held, no lock.
      const pool = real.database.pool;
      if (!pool) throw new Error("expected a pg pool");
      const query = vi.spyOn(pool, "query");
      const connect = vi.spyOn(pool, "connect");
      expect(await migrate(real.database)).toBe("current");
      expect(query).toHaveBeenCalledTimes(1);
      // pg-pool's query() checks a client out with the callback form; nothing else does.
      expect(connect.mock.calls.filter((call) => (call as unknown[]).length === 0)).toHaveLength(0);
      query.mockRestore();
      connect.mockRestore();
    } finally {
      await Promise.all(replicas.map((replica) => replica.close()));
    }
  });
});
