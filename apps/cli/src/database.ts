// The database half of the CLI's composition root (with runtime.ts, the only app code that uses
// @lore/db): opens the configured database (DATABASE_URL, else the embedded data directory) and
// migrates it, opens throwaway ones, caches the embedded template. Kept apart from runtime.ts so
// commands that only touch the database (queueing an ingest job, stats, keys, migrate) never
// load the providers.
import type { Config } from "@lore/config";
import { type Database, migrate, openDatabase, retryWhenUnreachable } from "@lore/db";
import type { Command } from "commander";
import { resolveConfig } from "./command-input";

// Commands hold the handle opened here; they name its type through the root, not @lore/db.
export type { Database };

/** How a long-running process waits for a database server that does not answer yet. */
export interface DatabaseWait {
  /** Gives up after this long (the last connection error is thrown). */
  ms: number;
  /** Told when the server does not answer, before waiting for it. */
  onUnreachable(error: unknown): void;
}

export async function openMigratedDatabase(config: Config, wait?: DatabaseWait): Promise<Database> {
  if (config.databaseUrl) skipRuntimeSniffing();
  return migrated(
    await openDatabase(
      config.databaseUrl
        ? { kind: "postgres", url: config.databaseUrl, poolSize: config.databasePoolSize }
        : { kind: "pglite", dataDir: config.dataDir },
      {
        ...(config.hnswEfSearch === undefined ? {} : { hnswEfSearch: config.hnswEfSearch }),
        preparedStatements: config.databasePreparedStatements,
      },
    ),
    config.databaseUrl ? wait : undefined,
  );
}

/**
 * node-postgres decides at load whether it runs in a Cloudflare Worker: without a global
 * `navigator` (Node before 21) it constructs a `Response`, which loads Node's whole fetch
 * implementation (undici), ~0.1 s of every short command's start-up on a busy machine. Node 21+
 * defines `navigator` itself; this gives Node 20 the same answer, before the driver is loaded.
 */
function skipRuntimeSniffing(): void {
  if ("navigator" in globalThis) return;
  Object.defineProperty(globalThis, "navigator", {
    value: { userAgent: `Node.js/${process.versions.node.split(".")[0]}` },
    configurable: true,
    writable: true,
  });
}

/** The database brought up to date, or closed when that fails. */
async function migrated(database: Database, wait?: DatabaseWait): Promise<Database> {
  try {
    await (wait && wait.ms > 0 ? migrateOnceReachable(database, wait) : migrate(database));
    return database;
  } catch (error) {
    await database.close();
    throw error;
  }
}

/**
 * Migrates as soon as the server answers: a compose file or a restarted node can start Lore
 * before Postgres accepts connections (or while it is still starting up), and exiting then only
 * hands the retry to a restart loop. Errors other than an unreachable server end it at once.
 */
async function migrateOnceReachable(database: Database, wait: DatabaseWait): Promise<void> {
  const signal = AbortSignal.timeout(wait.ms);
  let unreachable: unknown;
  try {
    await retryWhenUnreachable(database.db, () => migrate(database), {
      signal,
      onRetry: (error) => {
        unreachable = error;
        wait.onUnreachable(error);
      },
    });
  } catch (error) {
    // Out of time while waiting: the connection error says what is wrong, not the timeout.
    throw signal.aborted && unreachable !== undefined ? unreachable : error;
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

/** A throwaway in-memory database, migrated, from the cached template (no initdb). */
export async function openScratchDatabase(): Promise<Database> {
  return migrated(await openDatabase({ kind: "pglite-memory", template: true }));
}

/** Makes (if missing) the template new embedded data directories start from; returns its file. */
export async function cacheEmbeddedTemplate(): Promise<string> {
  // Imported on demand, so PGlite stays out of the commands that only talk to a server.
  const { loadTemplate, templateFile } = await import("@lore/db/template");
  await loadTemplate();
  return templateFile();
}
