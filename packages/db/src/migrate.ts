// Applies the SQL migrations in migrations/ once, under an advisory lock so concurrent starts are safe.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { sql } from "drizzle-orm";
import type { PgliteDatabase } from "drizzle-orm/pglite";
import { describeError } from "./errors";
import { queryRows } from "./query";
import type { Database } from "./types";

export const migrationsFolder = fileURLToPath(new URL("../../../migrations", import.meta.url));

// Any constant shared by every Lore process; it only has to differ from other apps' locks.
const MIGRATION_LOCK_KEY = 4_242_001;
const MIGRATIONS_SCHEMA = "lore_migrations";
// Undefined table, undefined schema: a database nothing has migrated yet.
const NOT_MIGRATED_SQLSTATES = new Set(["42P01", "3F000"]);

export type MigrationOutcome = "current" | "migrated";

export interface MigrateOptions {
  /** Another set of migrations (tests). */
  folder?: string;
}

/**
 * Brings the schema up to date. Every CLI command and server start calls this, so the usual case,
 * nothing to apply, is one query (schemaIsCurrent) instead of the migrator's lock, files and
 * round trips, which were most of a short command's time on a remote server.
 */
export async function migrate(
  database: Database,
  options: MigrateOptions = {},
): Promise<MigrationOutcome> {
  const folder = options.folder ?? migrationsFolder;
  if (await schemaIsCurrent(database, folder)) return "current";
  if (!database.pool) {
    // One process owns an embedded database, so there is nobody to race.
    await migrateEmbedded(database.db as unknown as PgliteDatabase, folder);
    return "migrated";
  }
  // Each driver's modules load only in the mode that uses them.
  const [{ drizzle }, { migrate: migratePostgres }] = await Promise.all([
    import("drizzle-orm/node-postgres"),
    import("drizzle-orm/node-postgres/migrator"),
  ]);
  // Several API replicas and workers may start at once: the first migrates, the rest wait
  // on the lock and then find nothing left to do.
  const client = await database.pool.connect();
  try {
    await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
    await migratePostgres(drizzle(client), {
      migrationsFolder: folder,
      migrationsSchema: MIGRATIONS_SCHEMA,
    });
  } finally {
    await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]).catch(() => {});
    client.release();
  }
  return "migrated";
}

/**
 * Whether the database has applied the newest migration this release ships, by drizzle's own
 * rule (it applies each migration whose journal time is after the latest one recorded): one
 * query against the bundled journal, without reading or hashing the SQL files.
 */
export async function schemaIsCurrent(
  database: Database,
  folder: string = migrationsFolder,
): Promise<boolean> {
  const newest = await newestMigrationTime(folder);
  try {
    const [row] = await queryRows<{ latest: string | null }>(
      database.db,
      sql.raw(
        `SELECT max(created_at)::text AS latest FROM ${MIGRATIONS_SCHEMA}.__drizzle_migrations`,
      ),
    );
    return row?.latest != null && Number(row.latest) >= newest;
  } catch (error) {
    if (NOT_MIGRATED_SQLSTATES.has(describeError(error).code)) return false;
    throw error;
  }
}

/** The journal time of the newest bundled migration (what drizzle records as `created_at`). */
async function newestMigrationTime(folder: string): Promise<number> {
  const journal = JSON.parse(
    await readFile(path.join(folder, "meta", "_journal.json"), "utf8"),
  ) as {
    entries?: { when?: unknown }[];
  };
  const times = (journal.entries ?? []).map((entry) => Number(entry.when));
  if (times.length === 0 || times.some((time) => !Number.isFinite(time))) {
    throw new Error(`Unreadable migrations journal in ${folder}`);
  }
  return Math.max(...times);
}

/** Migrates an embedded database; `folder` is another set of migrations only in tests. */
export async function migrateEmbedded(
  db: PgliteDatabase,
  folder: string = migrationsFolder,
): Promise<void> {
  const { migrate: migratePglite } = await import("drizzle-orm/pglite/migrator");
  await migratePglite(db, { migrationsFolder: folder, migrationsSchema: MIGRATIONS_SCHEMA });
}
