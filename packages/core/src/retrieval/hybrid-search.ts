// Hybrid retrieval: pgvector ANN (cosine) and Postgres full-text search, fused by reciprocal rank.
import { type LoreDb, queryRows, vectorCast } from "@lore/db";
import { type SQL, sql } from "drizzle-orm";
import type { Collection } from "../collections/collections";
import type { SearchFilters } from "../contract";

export interface RetrievalOptions {
  topK: number;
  filters?: SearchFilters;
  /** Candidates taken from each ranking before fusion. */
  candidates?: number;
  /** The RRF constant k in 1 / (k + rank). */
  rrfK?: number;
  vectorWeight?: number;
  textWeight?: number;
}

export interface RetrievedChunk {
  chunkId: string;
  documentId: string;
  source: string;
  title: string;
  heading: string;
  startLine: number;
  endLine: number;
  text: string;
  /** Fused reciprocal-rank score: higher is better; comparable within one query only. */
  score: number;
  /** Cosine similarity to the query, when the chunk was among the vector candidates. */
  similarity: number | null;
  /** 1-based rank in the full-text ranking, when it matched. */
  textRank: number | null;
}

export const DEFAULT_RETRIEVAL = { candidates: 40, rrfK: 60, vectorWeight: 1, textWeight: 1 };

export async function hybridSearch(
  db: LoreDb,
  collection: Collection,
  query: string,
  queryVector: readonly number[],
  options: RetrievalOptions,
): Promise<RetrievedChunk[]> {
  const candidates = Math.max(options.candidates ?? DEFAULT_RETRIEVAL.candidates, options.topK);
  const rrfK = options.rrfK ?? DEFAULT_RETRIEVAL.rrfK;
  const vectorWeight = options.vectorWeight ?? DEFAULT_RETRIEVAL.vectorWeight;
  const textWeight = options.textWeight ?? DEFAULT_RETRIEVAL.textWeight;
  const cast = sql.raw(vectorCast(collection.embeddingDimensions));
  const dimensions = sql.raw(String(Math.trunc(collection.embeddingDimensions)));
  const literal = `[${queryVector.join(",")}]`;
  const filters = filterSql(options.filters);
  // The cast and vector_dims() predicate match the partial HNSW index for this dimension.
  return queryRows<RetrievedChunk>(
    db,
    sql`
    WITH vector_ranked AS (
      SELECT c.id, c.embedding::${cast} <=> ${literal}::${cast} AS distance
      FROM chunks c JOIN documents d ON d.id = c.document_id
      WHERE c.collection_id = ${collection.id} AND vector_dims(c.embedding) = ${dimensions} ${filters}
      ORDER BY c.embedding::${cast} <=> ${literal}::${cast}
      LIMIT ${candidates}
    ),
    vector_hits AS (
      SELECT id, distance, row_number() OVER (ORDER BY distance) AS rank FROM vector_ranked
    ),
    text_query AS (
      SELECT replace(plainto_tsquery('english', ${query})::text, ' & ', ' | ')::tsquery AS q
    ),
    text_ranked AS (
      SELECT c.id, ts_rank(c.search, text_query.q, 1) AS relevance
      FROM chunks c JOIN documents d ON d.id = c.document_id, text_query
      WHERE c.collection_id = ${collection.id} AND c.search @@ text_query.q ${filters}
      ORDER BY relevance DESC
      LIMIT ${candidates}
    ),
    text_hits AS (
      SELECT id, row_number() OVER (ORDER BY relevance DESC) AS rank FROM text_ranked
    ),
    fused AS (
      SELECT coalesce(v.id, t.id) AS id,
        coalesce(${vectorWeight}::float8 / (${rrfK} + v.rank), 0)
          + coalesce(${textWeight}::float8 / (${rrfK} + t.rank), 0) AS score,
        1 - v.distance AS similarity,
        t.rank AS text_rank
      FROM vector_hits v FULL OUTER JOIN text_hits t ON t.id = v.id
    )
    SELECT c.id AS "chunkId", c.document_id AS "documentId", d.source, d.title, c.heading,
      c.start_line AS "startLine", c.end_line AS "endLine", c.text,
      f.score::float8 AS score, f.similarity::float8 AS similarity, f.text_rank::int AS "textRank"
    FROM fused f JOIN chunks c ON c.id = f.id JOIN documents d ON d.id = c.document_id
    ORDER BY f.score DESC, c.id
    LIMIT ${options.topK}`,
  );
}

function filterSql(filters: SearchFilters | undefined): SQL {
  const parts: SQL[] = [];
  if (filters?.pathPrefix) {
    const escaped = filters.pathPrefix.replace(/[\\%_]/g, (match) => `\\${match}`);
    parts.push(sql` AND d.source LIKE ${`${escaped}%`}`);
  }
  if (filters?.tags && filters.tags.length > 0) {
    parts.push(sql` AND d.metadata->'tags' ?| ${sql.param(filters.tags)}::text[]`);
  }
  return sql.join(parts, sql``);
}
