// The GIN index on chunks' full-text vectors: dropped for a bulk load and built again once after it.
import { sql } from "drizzle-orm";
import { queryRows } from "./query";
import type { LoreDb } from "./types";

/** Named and defined as in migrations/0001_initial_schema.sql, so a rebuild restores it exactly. */
export const FULL_TEXT_INDEX = "chunks_search_idx";

/**
 * Adding rows to a GIN index one statement at a time costs several times one build over the same
 * rows (5,776 chunks on the real Postgres: ~1.5 s of the writes against a 0.33 s build), so a
 * bulk load drops it first. Searches stay correct meanwhile (a scan instead of the index).
 */
export async function dropFullTextIndex(db: LoreDb): Promise<void> {
  await db.execute(sql.raw(`DROP INDEX IF EXISTS ${FULL_TEXT_INDEX}`));
}

/**
 * Builds the index when it is missing: after a bulk load, or at the next ingest when a process
 * died between the drop and the build. A cheap no-op when it exists.
 */
export async function ensureFullTextIndex(db: LoreDb, buildMemoryMb: number): Promise<void> {
  const [row] = await queryRows<{ name: string | null }>(
    db,
    sql`SELECT to_regclass(${FULL_TEXT_INDEX})::text AS name`,
  );
  if (row?.name) return;
  await db.transaction(async (transaction) => {
    await transaction.execute(
      sql.raw(`SET LOCAL maintenance_work_mem = '${Math.trunc(buildMemoryMb)}MB'`),
    );
    await transaction.execute(
      sql.raw(`CREATE INDEX IF NOT EXISTS "${FULL_TEXT_INDEX}" ON "chunks" USING gin ("search")`),
    );
  });
}
