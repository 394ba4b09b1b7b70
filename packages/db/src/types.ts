// The database's types, apart from the opener (client.ts) so that helpers and migrations never import it.
import type { PGlite } from "@electric-sql/pglite";
import type { ExtractTablesWithRelations } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from "drizzle-orm/pg-core";
import type pg from "pg";
import type * as schema from "./schema";

export type Schema = typeof schema;
/** The drizzle handle shared by both modes; only queries valid on both are written against it. */
export type LoreDb = PgDatabase<PgQueryResultHKT, Schema>;
export type LoreTransaction = PgTransaction<
  PgQueryResultHKT,
  Schema,
  ExtractTablesWithRelations<Schema>
>;

export interface TemplateOptions {
  /** Where templates are cached (default: node_modules/.cache/lore, see pglite-template.ts). */
  cacheDir?: string;
  /** The migrations a template has applied (default: Lore's). */
  migrationsFolder?: string;
}

/**
 * `template`: a new embedded database starts as a copy of the cached, already migrated template
 * instead of running PGlite's initdb (pglite-template.ts). On by default for a data directory,
 * which users create; off in memory, where tests of the migrations themselves need an empty
 * database. Options point it at another cache or set of migrations (tests).
 */
export type DatabaseTarget =
  | { kind: "pglite"; dataDir: string; template?: TemplateOptions | boolean }
  | { kind: "pglite-memory"; template?: TemplateOptions | boolean }
  | { kind: "postgres"; url: string; poolSize?: number };

export interface Database {
  readonly db: LoreDb;
  readonly kind: "pglite" | "postgres";
  /** The PGlite instance in embedded mode (tests serve it over the wire with pglite-socket). */
  readonly pglite?: PGlite;
  /** The pg pool in server mode. */
  readonly pool?: pg.Pool;
  /**
   * Calls `onNotify` on each NOTIFY of `channel` until the returned function is called. On
   * Postgres it holds one pooled connection; if that connection breaks it reconnects with
   * backoff and calls `onNotify` once it is back (notifications sent meanwhile are lost), but
   * listeners should keep a slow poll as well.
   */
  listen(channel: string, onNotify: () => void): Promise<() => Promise<void>>;
  /**
   * Calls `listener` when a pooled connection breaks (a Postgres restart, a failover, a
   * terminated backend). The error is already handled: the pool drops the connection and opens
   * a new one on next use. Returns a function that removes the listener. Never called on PGlite.
   */
  onConnectionError(listener: (error: Error) => void): () => void;
  close(): Promise<void>;
}

export interface SessionSettings {
  /**
   * `hnsw.ef_search` (LORE_HNSW_EF_SEARCH) of every search: higher finds more true neighbours,
   * slower. Unset, each search sets the value its index's size calls for (searchEfSearch).
   */
  hnswEfSearch?: number;
  /**
   * Hot statements as named prepared statements (LORE_DB_PREPARED_STATEMENTS, default on);
   * off behind a pooler that cannot keep them per client (PgBouncer in transaction mode before
   * 1.21, or with max_prepared_statements = 0).
   */
  preparedStatements?: boolean;
}
