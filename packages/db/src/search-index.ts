// Chunks' full-text vectors: how they are computed, and the GIN index a bulk load drops and builds once after it.
import { type SQL, sql } from "drizzle-orm";
import { queryRows } from "./query";
import type { LoreDb, LoreTransaction } from "./types";

/**
 * The text a chunk's full-text vector is made of: heading and text as the `chunks_search`
 * trigger joins them (`heading || ' ' || text`, migration 0013; the generated column before it).
 */
function searchText(row: { heading: string; text: string }): string {
  return `${row.heading} ${row.text}`;
}

/** A chunk's full-text vector, as SQL: the one expression every writer uses. */
export function searchVectorSql(row: { heading: string; text: string }): SQL {
  return sql`to_tsvector('english', ${searchText(row)})`;
}

/**
 * The full-text vectors of these chunks in tsvector's binary form (`tsvectorsend`), in order,
 * computed by the database without writing anything: a bulk ingest asks for them on a
 * connection of its own while the batch is being embedded, and its COPY passes the bytes
 * through, so the one serial writer no longer parses and stems every chunk.
 */
export async function fullTextVectors(
  db: LoreDb | LoreTransaction,
  rows: readonly { heading: string; text: string }[],
): Promise<Uint8Array[]> {
  if (rows.length === 0) return [];
  const texts = rows.map(searchText);
  const vectors = await queryRows<{ vector: Uint8Array }>(
    db,
    sql`SELECT tsvectorsend(to_tsvector('english', t)) AS vector
        FROM unnest(${sql.param(texts)}::text[]) WITH ORDINALITY AS u(t, n) ORDER BY n`,
  );
  return vectors.map((row) => row.vector);
}

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
