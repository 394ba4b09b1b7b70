// Raw SQL helpers that behave the same on PGlite and node-postgres.
import type { SQL } from "drizzle-orm";
import type { LoreDb, LoreTransaction } from "./types";

/** Runs a raw query and returns its rows (both drivers put them under `rows`). */
export async function queryRows<Row>(db: LoreDb | LoreTransaction, query: SQL): Promise<Row[]> {
  const result = (await db.execute(query)) as unknown as { rows: Row[] };
  return result.rows;
}
