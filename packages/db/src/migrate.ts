// Applies the SQL migrations in migrations/ once, under an advisory lock so concurrent starts are safe.
import { fileURLToPath } from "node:url";
import { drizzle } from "drizzle-orm/node-postgres";
import { migrate as migratePostgres } from "drizzle-orm/node-postgres/migrator";
import type { PgliteDatabase } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import type { Database } from "./client";

export const migrationsFolder = fileURLToPath(new URL("../../../migrations", import.meta.url));

// Any constant shared by every Lore process; it only has to differ from other apps' locks.
const MIGRATION_LOCK_KEY = 4_242_001;
const MIGRATOR_CONFIG = { migrationsFolder, migrationsSchema: "lore_migrations" };

export async function migrate(database: Database): Promise<void> {
  if (!database.pool) {
    // One process owns an embedded database, so there is nobody to race.
    await migratePglite(database.db as unknown as PgliteDatabase, MIGRATOR_CONFIG);
    return;
  }
  // Several API replicas and workers may start at once: the first migrates, the rest wait
  // on the lock and then find nothing left to do.
  const client = await database.pool.connect();
  try {
    await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
    await migratePostgres(drizzle(client), MIGRATOR_CONFIG);
  } finally {
    await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]).catch(() => {});
    client.release();
  }
}
