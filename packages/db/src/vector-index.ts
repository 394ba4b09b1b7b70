// Builds the HNSW cosine index for one embedding dimension (each collection's embedder fixes its own).
import { sql } from "drizzle-orm";
import { writesChunksByCopy } from "./chunk-rows";
import { postgresPool } from "./postgres-pool";
import { queryRows } from "./query";
import type { LoreDb, LoreTransaction } from "./types";

export interface HnswParameters {
  m: number;
  efConstruction: number;
}

/** How an index is built: its graph parameters and the memory the build may use. */
export interface VectorIndexSettings extends HnswParameters {
  /**
   * `maintenance_work_mem` of the build, in MiB. pgvector builds far faster while the graph fits
   * in it (at Postgres' default 64 MB, ~8k vectors of 1,536 dimensions already do not).
   */
  buildMemoryMb: number;
  /**
   * Parallel workers of a build on Postgres (`max_parallel_maintenance_workers`); 0 builds in the
   * one backend. On the bench's 2-core machine a serial build of 5,776 vectors of 1,536
   * dimensions took 2.6–2.9 s, with one worker 4.1 s, with two 3.2–5.0 s: the workers share the
   * graph under locks and compete for the same cores. Worth raising on a large first import with
   * idle cores to spare.
   */
  buildWorkers: number;
}

// Freeing a block this size (malloc'd by mmap) makes glibc move its mmap threshold to 8 MiB and
// its trim threshold to twice that, well above what one vector's insert frees (the threshold's
// ceiling is 32 MiB on 64-bit).
const HEAP_WARM_UP_BYTES = 8 * 1024 * 1024;

export const DEFAULT_HNSW: HnswParameters = { m: 16, efConstruction: 64 };

export const DEFAULT_VECTOR_INDEX: VectorIndexSettings = {
  ...DEFAULT_HNSW,
  buildMemoryMb: 256,
  buildWorkers: 0,
};

/**
 * `hnsw.ef_search` of every session: the candidates kept while walking the graph. Against exact
 * search, pgvector's 40 measured recall@10 0.93 at 10k chunks and 0.73 at 100k; 100 measured
 * 1.00 and 0.78 for 1-3 ms more (`pnpm bench scale`, bench/README.md).
 */
export const DEFAULT_HNSW_EF_SEARCH = 100;

/** The partial index serving one embedding dimension. */
export function vectorIndexName(dimensions: number): string {
  return `chunks_embedding_hnsw_${Math.trunc(dimensions)}`;
}

/**
 * `chunks.embedding` has no fixed dimension, so the index is a partial expression index per
 * dimension; retrieval repeats the same cast and predicate (see `vectorCast`) to use it. A cheap
 * no-op when it exists: CREATE INDEX would first wait for a lock that concurrent writers hold.
 */
export async function ensureVectorIndex(
  db: LoreDb,
  dimensions: number,
  settings: Partial<VectorIndexSettings> = {},
): Promise<void> {
  if (await vectorIndexExists(db, dimensions)) return;
  const { m, efConstruction, buildMemoryMb, buildWorkers } = {
    ...DEFAULT_VECTOR_INDEX,
    ...settings,
  };
  const dims = Math.trunc(dimensions);
  // Asked before the transaction: the probe may need a second connection of the pool.
  const realPostgres = await writesChunksByCopy(db);
  await db.transaction(async (transaction) => {
    await transaction.execute(
      sql.raw(`SET LOCAL maintenance_work_mem = '${Math.trunc(buildMemoryMb)}MB'`),
    );
    if (realPostgres) {
      // glibc hands freed heap back to the kernel once 128 KiB sit free at its top, and the build
      // frees scratch memory after every vector: on a backend that has never freed a large block
      // (one that only ran small queries) the heap shrinks and regrows thousands of times, and on
      // this VM a third of the build went to the kernel. Allocating and freeing 8 MiB first makes
      // glibc raise its trim threshold for this backend (the bench's 5,776 vectors on a fresh
      // connection: 6.6-7.9 CPU-s without, 3.4-4.0 with; docs/scaling.md). Real Postgres only:
      // PGlite served over the wire drops the connection on it, and its one heap is WASM's.
      // (Parallel workers, when LORE_HNSW_BUILD_WORKERS asks for them, are fresh processes.)
      await transaction.execute(sql.raw(`SELECT length(repeat('x', ${HEAP_WARM_UP_BYTES}))`));
    }
    if (postgresPool(db)) {
      // Set either way, so the server's own max_parallel_maintenance_workers never decides. With
      // workers, the threshold goes to 0: Postgres sizes a parallel build by the heap, and the
      // vectors live in TOAST, so thousands of chunks (7.8 MB of heap for 5,776) look too small.
      // PGlite has no workers.
      const workers = Math.max(0, Math.trunc(buildWorkers));
      await transaction.execute(sql.raw(`SET LOCAL max_parallel_maintenance_workers = ${workers}`));
      if (workers > 0) {
        await transaction.execute(sql.raw("SET LOCAL min_parallel_table_scan_size = 0"));
      }
    }
    await transaction.execute(
      sql.raw(
        `CREATE INDEX IF NOT EXISTS ${vectorIndexName(dims)} ON chunks USING hnsw ((embedding::vector(${dims})) vector_cosine_ops) WITH (m = ${Math.trunc(m)}, ef_construction = ${Math.trunc(efConstruction)}) WHERE vector_dims(embedding) = ${dims}`,
      ),
    );
  });
}

/**
 * Drops the index before a bulk load: inserting row by row into an HNSW graph costs several
 * times what one build over the same rows does. Searches stay correct meanwhile (exact scan).
 */
export async function dropVectorIndex(db: LoreDb, dimensions: number): Promise<void> {
  await db.execute(sql.raw(`DROP INDEX IF EXISTS ${vectorIndexName(dimensions)}`));
}

export async function vectorIndexExists(
  db: LoreDb | LoreTransaction,
  dimensions: number,
): Promise<boolean> {
  const [row] = await queryRows<{ name: string | null }>(
    db,
    sql`SELECT to_regclass(${vectorIndexName(dimensions)})::text AS name`,
  );
  return Boolean(row?.name);
}

/** The cast and predicate that let a query use `chunks_embedding_hnsw_<dims>`. */
export function vectorCast(dimensions: number): string {
  return `vector(${Math.trunc(dimensions)})`;
}
