// Hybrid retrieval: pgvector ANN (cosine) and Okapi BM25 over Postgres full-text, fused by reciprocal rank.
import { type LoreDb, queryRows, vectorBinary, vectorCast } from "@lore/db";
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
  /** Okapi BM25 parameters of the full-text ranking. */
  bm25?: { k1: number; b: number };
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

// BM25 leads: the local embedder has no corpus statistics (no IDF), so at equal weight its
// ranking drags BM25's down on keyword-heavy corpora (measured: evals/README.md).
export const DEFAULT_RETRIEVAL = {
  candidates: 40,
  rrfK: 60,
  vectorWeight: 0.5,
  textWeight: 1,
  bm25: { k1: 0.9, b: 0.4 },
};

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
  const bm25 = options.bm25 ?? DEFAULT_RETRIEVAL.bm25;
  const cast = sql.raw(vectorCast(collection.embeddingDimensions));
  const dimensions = sql.raw(String(Math.trunc(collection.embeddingDimensions)));
  const target = vectorBinary(queryVector);
  const filters = filterSql(options.filters);
  // The cast and vector_dims() predicate match the partial HNSW index for this dimension.
  // BM25 because ts_rank has no IDF. The collection's chunk count and average length come from
  // collection_statistics, which triggers keep exact, instead of a scan of the collection per
  // query; document frequencies are counted among the chunks matching any query term, in the
  // same pass that reads their term frequencies, so the query stays one statement.
  return queryRows<RetrievedChunk>(
    db,
    sql`
    WITH vector_ranked AS (
      SELECT c.id, c.embedding::${cast} <=> ${target}::${cast} AS distance
      FROM chunks c JOIN documents d ON d.id = c.document_id
      WHERE c.collection_id = ${collection.id} AND vector_dims(c.embedding) = ${dimensions} ${filters ?? sql``}
      ORDER BY c.embedding::${cast} <=> ${target}::${cast}
      LIMIT ${candidates}
    ),
    vector_hits AS (
      SELECT id, distance, row_number() OVER (ORDER BY distance) AS rank FROM vector_ranked
    ),
    query_terms AS (
      SELECT DISTINCT lexeme FROM unnest(to_tsvector('english', ${query}))
    ),
    text_query AS (
      SELECT array_agg(lexeme) AS lexemes, string_agg(quote_literal(lexeme), ' | ')::tsquery AS q
      FROM query_terms
    ),
    corpus AS MATERIALIZED (
      SELECT coalesce(sum(chunks), 0)::float8 AS total,
        greatest(sum(tokens)::float8 / nullif(sum(chunks), 0), 1) AS average_length
      FROM collection_statistics WHERE collection_id = ${collection.id}
    ),
    -- setweight marks the query's lexemes and ts_filter keeps only them, in C, so each matching
    -- chunk unnests its few query terms instead of its whole tsvector.
    term_matches AS MATERIALIZED (
      SELECT c.id, c.document_id, c.token_count, u.lexeme,
        coalesce(array_length(u.positions, 1), 1)::float8 AS frequency
      FROM chunks c CROSS JOIN text_query
        CROSS JOIN LATERAL unnest(ts_filter(setweight(c.search, 'A', text_query.lexemes), '{a}')) u
      WHERE c.collection_id = ${collection.id} AND c.search @@ text_query.q
    ),
    term_weights AS MATERIALIZED (
      SELECT m.lexeme, ln(1 + (corpus.total - count(*) + 0.5) / (count(*) + 0.5)) AS idf
      FROM term_matches m CROSS JOIN corpus
      GROUP BY m.lexeme, corpus.total
    ),
    -- Rounded (to 1e-9) so near-duplicate chunks tie, and are then ordered by id, whatever order
    -- the plan summed their terms in (float addition is not associative).
    text_ranked AS (
      SELECT m.id,
        round(1e9 * sum(w.idf * m.frequency * ${bm25.k1 + 1}::float8 / (m.frequency + ${bm25.k1}::float8
          * (1 - ${bm25.b}::float8 + ${bm25.b}::float8 * m.token_count / corpus.average_length)))) AS relevance
      FROM term_matches m JOIN term_weights w ON w.lexeme = m.lexeme CROSS JOIN corpus
        ${filters ? sql`JOIN documents d ON d.id = m.document_id WHERE TRUE ${filters}` : sql``}
      GROUP BY m.id
      ORDER BY relevance DESC, m.id
      LIMIT ${candidates}
    ),
    text_hits AS (
      SELECT id, row_number() OVER (ORDER BY relevance DESC, id) AS rank FROM text_ranked
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
    ORDER BY f.score DESC, f.text_rank NULLS LAST, f.similarity DESC NULLS LAST, d.source, c.ordinal
    LIMIT ${options.topK}`,
  );
}

/** The documents (`d`) predicates of the filters, each led by AND; undefined without any. */
function filterSql(filters: SearchFilters | undefined): SQL | undefined {
  const parts: SQL[] = [];
  if (filters?.pathPrefix) {
    const escaped = filters.pathPrefix.replace(/[\\%_]/g, (match) => `\\${match}`);
    parts.push(sql` AND d.source LIKE ${`${escaped}%`}`);
  }
  if (filters?.tags && filters.tags.length > 0) {
    parts.push(sql` AND d.metadata->'tags' ?| ${sql.param(filters.tags)}::text[]`);
  }
  return parts.length > 0 ? sql.join(parts, sql``) : undefined;
}
