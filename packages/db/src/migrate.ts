// Applies the SQL migrations in migrations/ once, under an advisory lock so concurrent starts are safe.
import { fileURLToPath } from "node:url";
import type { PgliteDatabase } from "drizzle-orm/pglite";
import type { Database } from "./client";

export const migrationsFolder = fileURLToPath(new URL("../../../migrations", import.meta.url));

// Any constant shared by every Lore process; it only has to differ from other apps' locks.
const MIGRATION_LOCK_KEY = 4_242_001;
const MIGRATIONS_SCHEMA = "lore_migrations";

export async function migrate(database: Database): Promise<void> {
  if (!database.pool) {
    // One process owns an embedded database, so there is nobody to race.
    await migrateEmbedded(database.db as unknown as PgliteDatabase);
    return;
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
      migrationsFolder,
      migrationsSchema: MIGRATIONS_SCHEMA,
    });
  } finally {
    await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]).catch(() => {});
    client.release();
  }
}

/** Migrates an embedded database; `folder` is another set of migrations only in tests. */
export async function migrateEmbedded(
  db: PgliteDatabase,
  folder: string = migrationsFolder,
): Promise<void> {
  const { migrate: migratePglite } = await import("drizzle-orm/pglite/migrator");
  await migratePglite(db, { migrationsFolder: folder, migrationsSchema: MIGRATIONS_SCHEMA });
}
