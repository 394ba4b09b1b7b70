// Opens Lore's database: embedded PGlite (with pgvector) in a data directory, or a pg pool by URL.
import { mkdirSync } from "node:fs";
import { PGlite } from "@electric-sql/pglite";
import { vector } from "@electric-sql/pglite-pgvector";
import type { ExtractTablesWithRelations } from "drizzle-orm";
import { drizzle as drizzlePostgres } from "drizzle-orm/node-postgres";
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import pg from "pg";
import lockfile from "proper-lockfile";
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

export type DatabaseTarget =
  | { kind: "pglite"; dataDir: string }
  | { kind: "pglite-memory" }
  | { kind: "postgres"; url: string; poolSize?: number };

export interface Database {
  readonly db: LoreDb;
  readonly kind: "pglite" | "postgres";
  /** The PGlite instance in embedded mode (tests serve it over the wire with pglite-socket). */
  readonly pglite?: PGlite;
  /** The pg pool in server mode. */
  readonly pool?: pg.Pool;
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
  if (target.kind === "postgres") {
    const pool = new pg.Pool({ connectionString: target.url, max: target.poolSize ?? 10 });
    pool.on("connect", (client) => {
      client.query(sessionSetup).catch(() => {});
    });
    const db = drizzlePostgres(pool, { schema }) as unknown as LoreDb;
    return { db, kind: "postgres", pool, close: () => pool.end() };
  }
  const release = target.kind === "pglite" ? await lockDataDir(target.dataDir) : undefined;
  try {
    const pglite = await PGlite.create({
      ...(target.kind === "pglite" ? { dataDir: target.dataDir } : {}),
      extensions: { vector },
    });
    await pglite.exec(sessionSetup);
    const db = drizzlePglite(pglite, { schema }) as unknown as LoreDb;
    return {
      db,
      kind: "pglite",
      pglite,
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
