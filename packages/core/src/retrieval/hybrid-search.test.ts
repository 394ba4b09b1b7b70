// The full-text half of hybrid search ranks exactly as Okapi BM25 computed from the stored chunks, with and without filters.
import { type Database, queryRows } from "@lore/db";
import { createTestDatabase } from "@lore/db/testing";
import { createLocalEmbedder } from "@lore/providers";
import { type SQL, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Collection, requireCollection } from "../collections/collections";
import { ingestFolder } from "../ingestion/ingest-folder";
import { putDocument } from "../ingestion/put-document";
import { SAMPLE_DOCS_DIR } from "../sample-docs";
import { hybridSearch, hybridSearchQuery, TEXT_RESCORE_PER_CANDIDATE } from "./hybrid-search";
import { DEFAULT_RETRIEVAL } from "./retrieval-settings";
import type { SearchFilters } from "./schemas";

const embedder = createLocalEmbedder();
let database: Database;
let collection: Collection;

interface StoredTerm {
  id: string;
  source: string;
  tags: string[];
  tokenCount: number;
  lexeme: string;
  frequency: number;
}

/**
 * Okapi BM25 computed here from the stored rows (every chunk of the collection, its token_count
 * and the positions in its tsvector), independently of the SQL: chunk id → score.
 */
async function referenceBm25(query: string, filters?: SearchFilters): Promise<Map<string, number>> {
  const [terms] = await queryRows<{ lexemes: string[] }>(
    database.db,
    sql`SELECT coalesce(array_agg(DISTINCT lexeme), '{}') AS lexemes FROM unnest(to_tsvector('english', ${query}))`,
  );
  const lexemes = new Set(terms?.lexemes ?? []);
  const rows = await queryRows<StoredTerm>(
    database.db,
    sql`SELECT c.id, d.source, coalesce(d.metadata->'tags', '[]') AS tags,
          c.token_count AS "tokenCount", u.lexeme,
          coalesce(array_length(u.positions, 1), 1) AS frequency
        FROM chunks c JOIN documents d ON d.id = c.document_id
          LEFT JOIN LATERAL unnest(c.search) u ON true
        WHERE c.collection_id = ${collection.id}`,
  );
  const lengths = new Map<string, { source: string; tags: string[]; tokenCount: number }>();
  const frequencies = new Map<string, Map<string, number>>();
  for (const row of rows) {
    lengths.set(row.id, { source: row.source, tags: row.tags, tokenCount: row.tokenCount });
    if (!lexemes.has(row.lexeme)) continue;
    const chunkTerms = frequencies.get(row.id) ?? new Map<string, number>();
    chunkTerms.set(row.lexeme, row.frequency);
    frequencies.set(row.id, chunkTerms);
  }
  const total = lengths.size;
  const averageLength = Math.max(
    1,
    [...lengths.values()].reduce((sum, chunk) => sum + chunk.tokenCount, 0) / total,
  );
  const documentFrequency = new Map<string, number>();
  for (const chunkTerms of frequencies.values()) {
    for (const lexeme of chunkTerms.keys()) {
      documentFrequency.set(lexeme, (documentFrequency.get(lexeme) ?? 0) + 1);
    }
  }
  const { k1, b } = DEFAULT_RETRIEVAL.bm25;
  const scores = new Map<string, number>();
  for (const [id, chunkTerms] of frequencies) {
    const chunk = lengths.get(id);
    if (!chunk || (filters?.pathPrefix && !chunk.source.startsWith(filters.pathPrefix))) continue;
    if (filters?.tags && !filters.tags.some((tag) => chunk.tags.includes(tag))) continue;
    let score = 0;
    for (const [lexeme, frequency] of chunkTerms) {
      const matching = documentFrequency.get(lexeme) ?? 0;
      const idf = Math.log(1 + (total - matching + 0.5) / (matching + 0.5));
      score +=
        (idf * frequency * (k1 + 1)) /
        (frequency + k1 * (1 - b + (b * chunk.tokenCount) / averageLength));
    }
    scores.set(id, score);
  }
  return scores;
}

/** The full-text ranking hybrid search used, best first: only text weight, so it is the order. */
async function textRanking(query: string, filters?: SearchFilters): Promise<string[]> {
  const [vector] = await embedder.embed([query]);
  const results = await hybridSearch({ db: database.db }, collection, query, vector ?? [], {
    topK: DEFAULT_RETRIEVAL.candidates,
    vectorWeight: 0,
    textWeight: 1,
    ...(filters ? { filters } : {}),
  });
  return results
    .filter((result) => result.textRank !== null)
    .sort((left, right) => (left.textRank ?? 0) - (right.textRank ?? 0))
    .map((result) => result.chunkId);
}

beforeAll(async () => {
  database = await createTestDatabase();
  const context = { db: database.db, embedder };
  await ingestFolder(context, SAMPLE_DOCS_DIR, { collection: "default" });
  for (const [index, tags] of [["runbook"], ["runbook", "ops"], ["draft"]].entries()) {
    await putDocument(context, "default", {
      source: `runbooks/deploy-${index}.md`,
      content: `# Deploy ${index}\n\nTo roll back a deploy, restore step ${index} of the deploy runbook.`,
      mimeType: "text/markdown",
      metadata: { tags },
    });
  }
  // Another collection's chunks must not count towards this one's statistics.
  await putDocument(context, "other", {
    source: "deploy.md",
    content: "Deploy, deploy, deploy: roll back the deploy and restore the database backup.",
    mimeType: "text/markdown",
  });
  collection = await requireCollection({ db: database.db, embedder }, "default");
});
afterAll(async () => {
  await database.close();
});

describe("hybrid search's BM25 ranking", () => {
  const cases: { query: string; filters?: SearchFilters }[] = [
    { query: "How do I roll back a deploy?" },
    { query: "How do I restore a database backup?" },
    { query: "How many days of PTO do full-time employees get?" },
    { query: "What is the on-call escalation policy?" },
    { query: "How do I roll back a deploy?", filters: { pathPrefix: "policies/" } },
    { query: "How do I roll back a deploy?", filters: { tags: ["runbook", "missing"] } },
  ];

  it.each(cases)(
    "ranks $query ($filters) as Okapi BM25 over the collection does",
    async ({ query, filters }) => {
      const reference = await referenceBm25(query, filters);
      const expected = [...reference.values()]
        .sort((left, right) => right - left)
        .slice(0, DEFAULT_RETRIEVAL.candidates);
      const ranking = await textRanking(query, filters);
      expect(ranking.length).toBe(expected.length);
      expect(ranking.length).toBeGreaterThan(0);
      // Compared by score, so chunks that tie may come in either order.
      const scores = ranking.map((id) => reference.get(id) ?? Number.NaN);
      for (const [rank, score] of scores.entries()) {
        expect(score).toBeCloseTo(expected[rank] ?? Number.NaN, 9);
      }
    },
  );

  it("finds nothing by text for a query of stop words only", async () => {
    expect(await textRanking("and the of")).toEqual([]);
  });
});

describe("hybrid search's fusion weights", () => {
  // One rare word: BM25 matches a chunk or two, the vector ranking fills the rest.
  const query = "Willamette seats";
  const searchWith = async (weights: { vectorWeight: number; textWeight: number }) => {
    const [vector] = await embedder.embed([query]);
    return hybridSearch({ db: database.db }, collection, query, vector ?? [], {
      topK: 60,
      ...weights,
    });
  };

  it("at vector weight 0 keep the BM25 order, then the chunks only the vector ranking found", async () => {
    const results = await searchWith({ vectorWeight: 0, textWeight: 1 });
    const matched = results.filter((result) => result.textRank !== null);
    expect(matched.length).toBeGreaterThan(0);
    expect(results.slice(0, matched.length)).toEqual(matched);
    expect(matched.map((result) => result.textRank)).toEqual(matched.map((_, index) => index + 1));
    const rest = results.slice(matched.length);
    expect(rest.length).toBeGreaterThan(0);
    const similarities = rest.map((result) => result.similarity);
    expect(similarities).toEqual([...similarities].sort((left, right) => right - left));
  });

  it("at vector weight 0 return what the search with its vector scan returns, when the full-text matches fill the page", async () => {
    const question = "How do I roll back a deploy?";
    const [vector] = await embedder.embed([question]);
    const options = { topK: 8, vectorWeight: 0, textWeight: 1 };
    const results = await hybridSearch(
      { db: database.db },
      collection,
      question,
      vector ?? [],
      options,
    );
    expect(results).toHaveLength(8);
    expect(results.every((result) => result.textRank !== null)).toBe(true);
    // The statement with the vector scan, which a page of fewer full-text matches falls back to.
    const scanned = await queryRows<{ chunkId: string; similarity: number; score: number }>(
      database.db,
      hybridSearchQuery(collection, question, vector ?? [], options),
    );
    expect(
      results.map(({ chunkId, similarity, score }) => ({ chunkId, similarity, score })),
    ).toEqual(scanned.map(({ chunkId, similarity, score }) => ({ chunkId, similarity, score })));
    // Every chunk's similarity is computed, the vector half's candidates or not.
    expect(results.every((result) => result.similarity > 0)).toBe(true);
  });

  it("at text weight 0 order by similarity alone", async () => {
    const results = await searchWith({ vectorWeight: 1, textWeight: 0 });
    // The vector candidates score; full-text matches beyond them would follow at 0.
    const similar = results.filter((result) => result.score > 0);
    expect(similar.length).toBeGreaterThan(0);
    expect(results.slice(0, similar.length)).toEqual(similar);
    const similarities = similar.map((result) => result.similarity);
    expect(similarities).toEqual([...similarities].sort((left, right) => right - left));
  });
});

describe("hybrid search's full-text candidate budget", () => {
  it("above the budget, scores the chunks holding the rarest terms together, still exactly", async () => {
    const query = "How do I roll back a deploy?";
    const [rarest] = await queryRows<{ lexeme: string }>(
      database.db,
      sql`SELECT t.lexeme FROM collection_terms t
          WHERE t.collection_id = ${collection.id}
            AND t.lexeme IN (SELECT lexeme FROM unnest(to_tsvector('english', ${query})))
          GROUP BY t.lexeme HAVING sum(t.chunks) > 0 ORDER BY sum(t.chunks), t.lexeme LIMIT 1`,
    );
    const chunksWith = async (tsquery: SQL) =>
      new Set(
        (
          await queryRows<{ id: string }>(
            database.db,
            sql`SELECT id FROM chunks WHERE collection_id = ${collection.id} AND search @@ ${tsquery}`,
          )
        ).map((row) => row.id),
      );
    const holdingRarest = await chunksWith(sql`to_tsquery('english', ${rarest?.lexeme ?? ""})`);
    const holdingAll = await chunksWith(sql`plainto_tsquery('english', ${query})`);
    expect(holdingAll.size).toBeGreaterThan(0);
    const everyMatch = await referenceBm25(query);
    const [vector] = await embedder.embed([query]);
    const results = await hybridSearch({ db: database.db }, collection, query, vector ?? [], {
      topK: DEFAULT_RETRIEVAL.candidates,
      vectorWeight: 0,
      textWeight: 1,
      textCandidateBudget: 1,
    });
    const ranked = results.filter((result) => result.textRank !== null);
    const ids = new Set(ranked.map((result) => result.chunkId));
    // Fewer than every match, never one without the rarest term, always those with every term.
    expect(ids.size).toBeLessThan(everyMatch.size);
    for (const id of ids) expect(holdingRarest.has(id)).toBe(true);
    for (const id of holdingAll) expect(ids.has(id)).toBe(true);
    const expected = ranked
      .map((result) => everyMatch.get(result.chunkId) ?? Number.NaN)
      .sort((left, right) => right - left);
    for (const [rank, result] of ranked.entries()) {
      expect(everyMatch.get(result.chunkId)).toBeCloseTo(expected[rank] ?? Number.NaN, 9);
    }
  });
});

describe("hybrid search's full-text candidates between the budget and its pairs", () => {
  it("scores the chunks holding at least two query terms, exactly", async () => {
    const query = "How do I restore a database backup after a bad deploy?";
    const [stats] = await queryRows<{ sum: number; squares: number; total: number }>(
      database.db,
      sql`SELECT sum(f.matching)::float8 AS sum, sum(f.matching ^ 2)::float8 AS squares,
            (SELECT sum(chunks) FROM collection_statistics WHERE collection_id = ${collection.id})::float8 AS total
          FROM (SELECT sum(t.chunks)::float8 AS matching FROM collection_terms t
                WHERE t.collection_id = ${collection.id}
                  AND t.lexeme IN (SELECT lexeme FROM unnest(to_tsvector('english', ${query})))
                GROUP BY t.lexeme HAVING sum(t.chunks) > 0) f`,
    );
    const { sum = 0, squares = 0, total = 1 } = stats ?? {};
    // A budget the pairs fit (as estimated) and every match does not.
    const budget = Math.ceil((sum * sum - squares) / (2 * total));
    expect(budget).toBeLessThan(sum);
    const pairs = await queryRows<{ id: string }>(
      database.db,
      sql`SELECT id FROM chunks WHERE collection_id = ${collection.id}
          AND (SELECT count(*) FROM unnest(tsvector_to_array(search)) AS term(lexeme)
               WHERE lexeme IN (SELECT lexeme FROM unnest(to_tsvector('english', ${query})))) >= 2`,
    );
    const everyMatch = await referenceBm25(query);
    expect(pairs.length).toBeGreaterThan(0);
    expect(pairs.length).toBeLessThan(everyMatch.size);
    const [vector] = await embedder.embed([query]);
    const results = await hybridSearch({ db: database.db }, collection, query, vector ?? [], {
      topK: 1000,
      candidates: 1000,
      vectorWeight: 0,
      textWeight: 1,
      textCandidateBudget: budget,
    });
    const ranked = results.filter((result) => result.textRank !== null);
    expect(new Set(ranked.map((result) => result.chunkId))).toEqual(
      new Set(pairs.map((row) => row.id)),
    );
    const expected = ranked
      .map((result) => everyMatch.get(result.chunkId) ?? Number.NaN)
      .sort((left, right) => right - left);
    for (const [rank, result] of ranked.entries()) {
      expect(everyMatch.get(result.chunkId)).toBeCloseTo(expected[rank] ?? Number.NaN, 9);
    }
  });
});

describe("hybrid search's exact scoring past the rescore count", () => {
  it("scores exactly the candidates ts_rank puts first, as many as the rescore count", async () => {
    const query = "How do I roll back a deploy?";
    const rescore = 5;
    // The first ranking, from the database: ts_rank over the query's terms, ties by id.
    const first = await queryRows<{ id: string }>(
      database.db,
      sql`SELECT id FROM chunks
          WHERE collection_id = ${collection.id}
            AND search @@ replace(plainto_tsquery('english', ${query})::text, '&', '|')::tsquery
          ORDER BY ts_rank(search, replace(plainto_tsquery('english', ${query})::text, '&', '|')::tsquery) DESC, id
          LIMIT ${rescore}`,
    );
    const everyMatch = await referenceBm25(query);
    expect(everyMatch.size).toBeGreaterThan(rescore);
    // The cut matters here: exact BM25 over every match would pick other chunks.
    const exactBest = [...everyMatch.entries()]
      .sort((left, right) => right[1] - left[1])
      .slice(0, rescore)
      .map(([id]) => id);
    expect(new Set(first.map((row) => row.id))).not.toEqual(new Set(exactBest));
    const [vector] = await embedder.embed([query]);
    const results = await hybridSearch({ db: database.db }, collection, query, vector ?? [], {
      topK: rescore,
      candidates: rescore,
      vectorWeight: 0,
      textWeight: 1,
      textRescore: rescore,
    });
    const ranked = results
      .filter((result) => result.textRank !== null)
      .sort((left, right) => (left.textRank ?? 0) - (right.textRank ?? 0));
    expect(new Set(ranked.map((result) => result.chunkId))).toEqual(
      new Set(first.map((row) => row.id)),
    );
    // In exact BM25 order among themselves.
    const scores = ranked.map((result) => everyMatch.get(result.chunkId) ?? Number.NaN);
    const expected = [...scores].sort((left, right) => right - left);
    for (const [rank, score] of scores.entries()) {
      expect(score).toBeCloseTo(expected[rank] ?? Number.NaN, 9);
    }
  });

  it("by default rescores TEXT_RESCORE_PER_CANDIDATE times the candidates, so every match of the sample docs is scored", async () => {
    const query = "How do I roll back a deploy?";
    const [vector] = await embedder.embed([query]);
    const everyMatch = await referenceBm25(query);
    const candidates = Math.ceil(everyMatch.size / TEXT_RESCORE_PER_CANDIDATE);
    const results = await hybridSearch({ db: database.db }, collection, query, vector ?? [], {
      topK: candidates,
      candidates,
      vectorWeight: 0,
      textWeight: 1,
    });
    const best = [...everyMatch.values()].sort((left, right) => right - left).slice(0, candidates);
    const ranked = results
      .filter((result) => result.textRank !== null)
      .sort((left, right) => (left.textRank ?? 0) - (right.textRank ?? 0));
    expect(ranked.length).toBe(best.length);
    for (const [rank, result] of ranked.entries()) {
      expect(everyMatch.get(result.chunkId)).toBeCloseTo(best[rank] ?? Number.NaN, 9);
    }
  });
});
