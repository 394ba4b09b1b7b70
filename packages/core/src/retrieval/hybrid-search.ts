// Hybrid retrieval: pgvector ANN (cosine) and Okapi BM25 over Postgres full-text, fused by reciprocal rank.
import { queryRowsPrepared, searchEfSearch, vectorBinary, vectorCast } from "@lore/db";
import { type SQL, sql } from "drizzle-orm";
import type { Collection } from "../collections/collections";
import type { LoreContext } from "../context";
import type { RetrievalSettings } from "../settings";
import { DEFAULT_RETRIEVAL } from "./retrieval-settings";
import type { SearchFilters } from "./schemas";

export interface RetrievalOptions extends Partial<RetrievalSettings> {
  topK: number;
  filters?: SearchFilters;
  /** Chunks the full-text half reads beyond its rarest term's; default TEXT_CANDIDATE_BUDGET. */
  textCandidateBudget?: number;
  /** Full-text candidates scored by exact BM25, the best by ts_rank; default 15 per candidate. */
  textRescore?: number;
  /** Nearest chunks the vector half takes (default `candidates`); 0 skips its index scan. */
  vectorCandidates?: number;
}

export interface RetrievedChunk {
  chunkId: string;
  documentId: string;
  source: string;
  title: string;
  /** The link back to the original (a source's sync sets it); linkAt() fills in lines. */
  documentUrl?: string;
  heading: string;
  startLine: number;
  endLine: number;
  text: string;
  /** Fused reciprocal-rank score: higher is better; comparable within one query only. */
  score: number;
  /** Cosine similarity to the query. */
  similarity: number;
  /** 1-based rank in the full-text ranking, when it matched. */
  textRank: number | null;
}

/**
 * Matching chunks the full-text half takes as candidates, all of them, up to this many; past it
 * the chunks holding two query terms, or all of the rarest ones, expected to fit (at 100k chunks,
 * top-10 overlap with exact BM25 0.985 at 3,000 and 0.972 at 1,000; docs/scaling.md).
 */
export const TEXT_CANDIDATE_BUDGET = 3000;

/**
 * Full-text candidates scored by exact BM25 per candidate the fusion takes, the best of them by
 * ts_rank: at 100k chunks 15 (600 for 40) kept as much of the exact top 10 as scoring all 3,000
 * did (0.985), 10 kept 0.970 (docs/scaling.md).
 */
export const TEXT_RESCORE_PER_CANDIDATE = 15;

export async function hybridSearch(
  context: Pick<LoreContext, "db">,
  collection: Collection,
  query: string,
  queryVector: readonly number[],
  options: RetrievalOptions,
): Promise<RetrievedChunk[]> {
  // Weighted 0 (the local embedder's default), the vector ranking only appends the chunks that
  // share no word with the query, after every full-text match: while the full-text half fills
  // the page, its index scan (20-48 ms of a search at 100k chunks) changes nothing.
  if ((options.vectorWeight ?? DEFAULT_RETRIEVAL.vectorWeight) <= 0) {
    const rows = await runHybridSearch(
      context,
      hybridSearchQuery(collection, query, queryVector, { ...options, vectorCandidates: 0 }),
    );
    if (rows.length >= options.topK) return rows;
  }
  // The ANN's ef_search grows with the vectors its index holds (LORE_HNSW_EF_SEARCH aside).
  const efSearch = await searchEfSearch(context.db, collection.embeddingDimensions);
  return runHybridSearch(context, hybridSearchQuery(collection, query, queryVector, options), {
    efSearch,
  });
}

async function runHybridSearch(
  context: Pick<LoreContext, "db">,
  query: SQL,
  options: { efSearch?: number | undefined } = {},
): Promise<RetrievedChunk[]> {
  const rows = await queryRowsPrepared<RetrievedChunk & { documentUrl: string | null }>(
    context.db,
    query,
    options,
  );
  return rows.map(({ documentUrl, ...row }) => (documentUrl ? { ...row, documentUrl } : row));
}

/** The one statement hybridSearch runs; exported so plan checks can EXPLAIN exactly it. */
export function hybridSearchQuery(
  collection: Collection,
  query: string,
  queryVector: readonly number[],
  options: RetrievalOptions,
): SQL {
  // A literal, not a parameter: the statement is prepared, and a generic plan is then costed on
  // the real LIMIT instead of a guess (a tenth of the HNSW scan's estimated rows).
  const candidateCount = Math.trunc(
    Math.max(options.candidates ?? DEFAULT_RETRIEVAL.candidates, options.topK),
  );
  const candidates = sql.raw(String(candidateCount));
  // LIMIT 0 never starts the index scan below it.
  const vectorCandidates = sql.raw(
    String(Math.trunc(Math.max(options.vectorCandidates ?? candidateCount, 0))),
  );
  const rrfK = options.rrfK ?? DEFAULT_RETRIEVAL.rrfK;
  const vectorWeight = options.vectorWeight ?? DEFAULT_RETRIEVAL.vectorWeight;
  const textWeight = options.textWeight ?? DEFAULT_RETRIEVAL.textWeight;
  const bm25 = options.bm25 ?? DEFAULT_RETRIEVAL.bm25;
  const cast = sql.raw(vectorCast(collection.embeddingDimensions));
  const dimensions = sql.raw(String(Math.trunc(collection.embeddingDimensions)));
  const target = vectorBinary(queryVector);
  const filters = filterSql(options.filters);
  const textBudget = Math.trunc(options.textCandidateBudget ?? TEXT_CANDIDATE_BUDGET);
  const rescore = sql.raw(
    String(
      Math.trunc(
        Math.max(
          options.textRescore ?? TEXT_RESCORE_PER_CANDIDATE * candidateCount,
          candidateCount,
        ),
      ),
    ),
  );
  // The cast and vector_dims() predicate match the partial HNSW index for this dimension. The
  // ANN scan joins nothing: with a join to documents Postgres underestimated the rows, chose a
  // hash join and the HNSW scan returned every row (692 ms vs 5.8 ms at 100k chunks). Filters are
  // an EXISTS fenced by OFFSET 0, so they stay a per-row check on the index scan (not a semi-join)
  // and hnsw.iterative_scan keeps walking the graph until the LIMIT is met.
  // BM25 because ts_rank has no IDF. The collection's chunk count and average length come from
  // collection_statistics and document frequencies from collection_terms, which triggers keep
  // exact, instead of scans of the collection per query.
  return sql`
    WITH vector_ranked AS (
      SELECT c.id, c.embedding::${cast} <=> ${target}::${cast} AS distance
      FROM chunks c
      WHERE c.collection_id = ${collection.id} AND vector_dims(c.embedding) = ${dimensions}
        ${filters ? sql`AND EXISTS (SELECT 1 FROM documents d WHERE d.id = c.document_id ${filters} OFFSET 0)` : sql``}
      ORDER BY c.embedding::${cast} <=> ${target}::${cast}
      LIMIT ${vectorCandidates}
    ),
    vector_hits AS (
      SELECT id, distance, row_number() OVER (ORDER BY distance) AS rank FROM vector_ranked
    ),
    query_terms AS (
      SELECT DISTINCT lexeme FROM unnest(to_tsvector('english', ${query}))
    ),
    corpus AS MATERIALIZED (
      SELECT coalesce(sum(chunks), 0)::float8 AS total,
        greatest(sum(tokens)::float8 / nullif(sum(chunks), 0), 1) AS average_length
      FROM collection_statistics WHERE collection_id = ${collection.id}
    ),
    -- Document frequencies are primary-key look-ups in collection_terms (kept by triggers).
    -- together: the chunks expected to hold this term and every rarer one, were terms independent.
    term_weights AS MATERIALIZED (
      SELECT q.lexeme, ln(1 + (corpus.total - f.matching + 0.5) / (f.matching + 0.5)) AS idf, f.matching,
        row_number() OVER rarest AS rarity,
        corpus.total * exp(sum(ln(f.matching / greatest(corpus.total, f.matching))) OVER rarest) AS together
      FROM query_terms q CROSS JOIN corpus
        CROSS JOIN LATERAL (SELECT coalesce(sum(t.chunks), 0)::float8 AS matching FROM collection_terms t
          WHERE t.collection_id = ${collection.id} AND t.lexeme = q.lexeme) f
      WHERE f.matching > 0
      WINDOW rarest AS (ORDER BY f.matching, q.lexeme)
    ),
    -- When the chunks matching any term fit the budget, all are scored: exact Okapi BM25. Past
    -- it, the chunks holding at least two of the query's terms, when those are expected (were
    -- terms independent) to fit: a chunk with a single term rarely outranks them, and a rare
    -- word of the question that the answer lacks does not exclude it. Past that too, the chunks
    -- holding all of the fewest rarest terms expected to fit. GIN evaluates each form from the
    -- posting lists; every candidate is still scored on all the query terms it holds.
    text_plan AS (
      SELECT sum(matching) <= ${textBudget} AS exact,
        (sum(matching) ^ 2 - sum(matching ^ 2)) / (2 * max(total)) <= ${textBudget} AS pairs,
        coalesce(min(rarity) FILTER (WHERE together <= ${textBudget}), max(rarity)) AS required
      FROM term_weights CROSS JOIN corpus
    ),
    term_pairs AS (
      SELECT string_agg('(' || quote_literal(x.lexeme) || ' & ' || quote_literal(y.lexeme) || ')', ' | ') AS q
      FROM term_weights x JOIN term_weights y ON x.lexeme < y.lexeme
    ),
    text_query AS (
      SELECT array_agg(w.lexeme) AS lexemes, array_agg(w.idf) AS idfs,
        string_agg(quote_literal(w.lexeme), ' | ')::tsquery AS terms,
        -- Every match is scored exactly anyway (the sum counts a chunk once per term it holds).
        p.exact AND sum(w.matching) <= ${rescore} AS all_scored,
        CASE WHEN p.exact THEN string_agg(quote_literal(w.lexeme), ' | ')
          WHEN p.pairs AND count(*) > 1 THEN min(term_pairs.q)
          ELSE string_agg(quote_literal(w.lexeme), ' & ') FILTER (WHERE w.rarity <= p.required)
        END::tsquery AS q
      FROM term_weights w CROSS JOIN text_plan p CROSS JOIN term_pairs
      GROUP BY p.exact, p.pairs, p.required
    ),
    -- The candidates GIN finds, cut to the best textRescore by a cheap first ranking: ts_rank on
    -- the query's terms (in C, one call a row: how many of them the chunk holds, then how often).
    -- Ties by id, so the cut is the same on every run. Filters apply here, before either ranking.
    -- When every match fits, none is ranked twice: ts_rank is skipped (CASE evaluates lazily).
    text_matches AS (
      SELECT c.id, c.search, c.token_count
      FROM chunks c CROSS JOIN text_query q
      WHERE c.collection_id = ${collection.id} AND c.search @@ q.q
        ${filters ? sql`AND EXISTS (SELECT 1 FROM documents d WHERE d.id = c.document_id ${filters})` : sql``}
      ORDER BY CASE WHEN q.all_scored THEN 0 ELSE ts_rank(c.search, q.terms) END DESC, c.id
      LIMIT ${rescore}
    ),
    -- Each candidate is scored in its own row: setweight marks the query's lexemes and ts_filter
    -- keeps only them, in C, so it unnests its few query terms instead of its whole tsvector, and
    -- looks their IDF up by position in the arrays above (instead of a row per term and chunk
    -- joined, grouped and summed again). Rounded (to 1e-9) so near-duplicate chunks tie, and are
    -- then ordered by id, whatever order their terms were summed in (float addition is not
    -- associative).
    text_ranked AS (
      SELECT c.id,
        round(1e9 * (
          SELECT sum(q.idfs[array_position(q.lexemes, u.lexeme)] * u.frequency * ${bm25.k1 + 1}::float8
            / (u.frequency + ${bm25.k1}::float8
              * (1 - ${bm25.b}::float8 + ${bm25.b}::float8 * c.token_count / corpus.average_length)))
          FROM (SELECT t.lexeme, coalesce(array_length(t.positions, 1), 1)::float8 AS frequency
            FROM unnest(ts_filter(setweight(c.search, 'A', q.lexemes), '{a}')) t) u
        )) AS relevance
      FROM text_matches c CROSS JOIN text_query q CROSS JOIN corpus
      ORDER BY relevance DESC, c.id
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
    -- Each returned chunk's similarity is computed, not only the vector candidates': the answer's
    -- evidence compares them (a few rows, one distance each).
    SELECT c.id AS "chunkId", c.document_id AS "documentId", d.source, d.title, c.heading,
      d.url AS "documentUrl",
      c.start_line AS "startLine", c.end_line AS "endLine", c.text,
      f.score::float8 AS score,
      (1 - (c.embedding::${cast} <=> ${target}::${cast}))::float8 AS similarity,
      f.text_rank::int AS "textRank"
    FROM fused f JOIN chunks c ON c.id = f.id JOIN documents d ON d.id = c.document_id
    -- A ranking weighted 0 does not change the order; chunks only it found follow the others.
    ORDER BY f.score DESC, f.text_rank NULLS LAST, f.similarity DESC NULLS LAST, d.source, c.ordinal
    LIMIT ${options.topK}`;
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
