// Opens Lore's database: embedded PGlite (with pgvector) in a data directory, or a pg pool by URL.
import { mkdirSync } from "node:fs";
import type { PGlite } from "@electric-sql/pglite";
import type { ExtractTablesWithRelations } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from "drizzle-orm/pg-core";
import type pg from "pg";
import lockfile from "proper-lockfile";
import { sendVectorsAsBinary } from "./binary-vectors";
import type { TemplateOptions } from "./pglite-template";
import * as schema from "./schema";
import { DEFAULT_HNSW_EF_SEARCH } from "./vector-index";

type Schema = typeof schema;
/** The drizzle handle shared by both modes; only queries valid on both are written against it. */
export type LoreDb = PgDatabase<PgQueryResultHKT, Schema>;
export type LoreTransaction = PgTransaction<
  PgQueryResultHKT,
  Schema,
  ExtractTablesWithRelations<Schema>
>;

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
   * Postgres it holds one pooled connection; if that connection breaks, notifications stop, so
   * listeners keep a slow poll as well.
   */
  listen(channel: string, onNotify: () => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export class DataDirLockedError extends Error {
  override readonly name = "DataDirLockedError";
  constructor(readonly dataDir: string) {
    super(
      `The data directory ${dataDir} is in use by another Lore process. Only one process can open an embedded database: stop the other process (for example the running \`pnpm start\`), or send the work to it over HTTP.`,
    );
  }
}

export interface SessionSettings {
  /** `hnsw.ef_search` (LORE_HNSW_EF_SEARCH): higher finds more true neighbours, slower. */
  hnswEfSearch?: number;
}

// Filtered ANN queries (one collection, a path prefix) keep scanning the HNSW graph until
// they have enough rows instead of returning fewer than asked (pgvector >= 0.8).
function sessionSql(settings: SessionSettings): string {
  const efSearch = Math.trunc(settings.hnswEfSearch ?? DEFAULT_HNSW_EF_SEARCH);
  return `SET hnsw.iterative_scan = relaxed_order; SET hnsw.ef_search = ${efSearch}`;
}

export async function openDatabase(
  target: DatabaseTarget,
  settings: SessionSettings = {},
): Promise<Database> {
  const sessionSetup = sessionSql(settings);
  // Each mode's driver loads only when it is used: PGlite's is heavy, and a server never needs it.
  if (target.kind === "postgres") {
    const [{ default: pg }, { drizzle: drizzlePostgres }] = await Promise.all([
      import("pg"),
      import("drizzle-orm/node-postgres"),
    ]);
    const pool = new pg.Pool({
      connectionString: target.url,
      max: target.poolSize ?? 10,
      // Awaited before the connection is handed out, so the settings precede its first query.
      onConnect: async (client) => {
        await client.query(sessionSetup).catch(() => {});
      },
    });
    const db = drizzlePostgres(pool, { schema }) as unknown as LoreDb;
    return {
      db,
      kind: "postgres",
      pool,
      listen: (channel, onNotify) => listenOnPool(pool, channel, onNotify),
      close: () => pool.end(),
    };
  }
  const release = target.kind === "pglite" ? await lockDataDir(target.dataDir) : undefined;
  try {
    const [{ createPglite }, { drizzle: drizzlePglite }] = await Promise.all([
      import("./pglite"),
      import("drizzle-orm/pglite"),
    ]);
    const template = target.template ?? target.kind === "pglite";
    const pglite = await createPglite(
      target.kind === "pglite" ? target.dataDir : undefined,
      template === true ? {} : template,
    );
    await pglite.exec(sessionSetup);
    await sendVectorsAsBinary(pglite);
    const db = drizzlePglite(pglite, { schema }) as unknown as LoreDb;
    return {
      db,
      kind: "pglite",
      pglite,
      listen: async (channel, onNotify) => {
        const unlisten = await pglite.listen(assertChannel(channel), onNotify);
        return () => unlisten();
      },
      close: async () => {
        await pglite.close();
        await release?.();
      },
    };
  } catch (error) {
    await release?.();
    throw error;
  }
}

async function listenOnPool(
  pool: pg.Pool,
  channel: string,
  onNotify: () => void,
): Promise<() => Promise<void>> {
  const client = await pool.connect();
  let broken: Error | undefined;
  const onNotification = (message: pg.Notification) => {
    if (message.channel === channel) onNotify();
  };
  // A dropped connection must not crash the process: the listener's poll carries on.
  const onError = (error: Error) => {
    broken = error;
  };
  client.on("notification", onNotification);
  client.on("error", onError);
  try {
    await client.query(`LISTEN ${assertChannel(channel)}`);
  } catch (error) {
    client.release(error instanceof Error ? error : true);
    throw error;
  }
  return async () => {
    client.off("notification", onNotification);
    if (!broken)
      await client.query(`UNLISTEN ${channel}`).catch((error: Error) => (broken = error));
    client.off("error", onError);
    client.release(broken ?? false);
  };
}

/** Channels are fixed identifiers in Lore's code, never user input; this keeps it that way. */
function assertChannel(channel: string): string {
  if (!/^[a-z_]+$/.test(channel)) throw new Error(`Invalid notification channel: ${channel}`);
  return channel;
}

// PGlite corrupts a data directory that two processes open at once, so the directory is locked.
async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  mkdirSync(dataDir, { recursive: true });
  try {
    return await lockfile.lock(dataDir, { lockfilePath: `${dataDir}/lore.lock`, stale: 15_000 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ELOCKED") throw new DataDirLockedError(dataDir);
    throw error;
  }
}
