// Builds the HNSW cosine index for one embedding dimension (each collection's embedder fixes its own).
import { sql } from "drizzle-orm";
import type { LoreDb, LoreTransaction } from "./client";

export interface HnswParameters {
  m: number;
  efConstruction: number;
}

export const DEFAULT_HNSW: HnswParameters = { m: 16, efConstruction: 64 };

/**
 * `hnsw.ef_search` of every session: the candidates kept while walking the graph. Against exact
 * search, pgvector's 40 measured recall@10 0.93 at 10k chunks and 0.73 at 100k; 100 measured
 * 1.00 and 0.78 for 1-3 ms more (`pnpm bench scale`, bench/README.md).
 */
export const DEFAULT_HNSW_EF_SEARCH = 100;

/**
 * `chunks.embedding` has no fixed dimension, so the index is a partial expression index per
 * dimension; retrieval repeats the same cast and predicate (see `vectorMatch`) to use it.
 */
export async function ensureVectorIndex(
  db: LoreDb | LoreTransaction,
  dimensions: number,
  parameters: HnswParameters = DEFAULT_HNSW,
): Promise<void> {
  const dims = Math.trunc(dimensions);
  await db.execute(
    sql.raw(
      `CREATE INDEX IF NOT EXISTS chunks_embedding_hnsw_${dims} ON chunks USING hnsw ((embedding::vector(${dims})) vector_cosine_ops) WITH (m = ${Math.trunc(parameters.m)}, ef_construction = ${Math.trunc(parameters.efConstruction)}) WHERE vector_dims(embedding) = ${dims}`,
    ),
  );
}

/** The cast and predicate that let a query use `chunks_embedding_hnsw_<dims>`. */
export function vectorCast(dimensions: number): string {
  return `vector(${Math.trunc(dimensions)})`;
}
