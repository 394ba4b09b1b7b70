// Opens the configured database (DATABASE_URL, else the embedded data directory) and migrates it.
// Kept apart from runtime.ts so commands that only touch the database (queueing an ingest job,
// stats, keys, migrate) never load the providers.
import type { Config } from "@lore/config";
import { type Database, migrate, openDatabase } from "@lore/db";
import type { Command } from "commander";
import { resolveConfig } from "./shared";

export async function openMigratedDatabase(config: Config): Promise<Database> {
  const database = await openDatabase(
    config.databaseUrl
      ? { kind: "postgres", url: config.databaseUrl, poolSize: config.databasePoolSize }
      : { kind: "pglite", dataDir: config.dataDir },
    config.hnswEfSearch === undefined ? {} : { hnswEfSearch: config.hnswEfSearch },
  );
  try {
    await migrate(database);
    return database;
  } catch (error) {
    await database.close();
    throw error;
  }
}

/** Runs `use` on the migrated database, for commands that need no embedder or chat model. */
export async function withDatabase<T>(
  command: Command,
  use: (database: Database) => Promise<T>,
): Promise<T> {
  const database = await openMigratedDatabase(resolveConfig(command));
  try {
    return await use(database);
  } finally {
    await database.close();
  }
}
