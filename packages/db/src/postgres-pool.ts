// Finds the pg pool behind a drizzle handle, for the few writes that take a Postgres-only path.
import type pg from "pg";
import type { LoreDb, LoreTransaction } from "./types";

/** Pools opened with `preparedStatements: false`: queryRowsPrepared sends plain statements on them. */
const poolsWithoutPreparedStatements = new WeakSet<pg.Pool>();

export function disablePreparedStatements(pool: pg.Pool): void {
  poolsWithoutPreparedStatements.add(pool);
}

export function preparesStatements(pool: pg.Pool): boolean {
  return !poolsWithoutPreparedStatements.has(pool);
}

/** The pg pool behind a handle openDatabase made in Postgres mode (drizzle keeps it as `$client`). */
export function postgresPool(db: LoreDb | LoreTransaction): pg.Pool | undefined {
  const client = (db as { $client?: unknown }).$client;
  // A pg.Pool; PGlite's handle, a transaction's and one over a single client have no pool fields.
  return client !== null &&
    typeof client === "object" &&
    "totalCount" in client &&
    "connect" in client
    ? (client as pg.Pool)
    : undefined;
}
