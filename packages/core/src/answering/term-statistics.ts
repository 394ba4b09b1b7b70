// How rare each of a question's words is in a collection: the weights of the answer evidence.
import { queryRows } from "@lore/db";
import { matchTerms, words } from "@lore/providers";
import { sql } from "drizzle-orm";
import type { LoreContext } from "../context";

/** Chunk counts of a question's terms in one collection, from the full-text index. */
export interface TermStatistics {
  /** Chunks in the collection. */
  chunks: number;
  /** Chunks holding each term (a matchTerms term); a term not in the map is in none. */
  frequency: ReadonlyMap<string, number>;
}

export async function collectionTermStatistics(
  context: Pick<LoreContext, "db">,
  collection: string,
  question: string,
): Promise<TermStatistics> {
  const questionWords = [...new Set(words(question))].filter((word) => matchTerms(word).length > 0);
  if (questionWords.length === 0) return { chunks: 0, frequency: new Map() };
  // collection_terms holds each lexeme's exact chunk count (kept by triggers, 0006), stemmed by
  // Postgres as the index is. A word of several lexemes ("wrap-up") is in at most as many chunks
  // as its rarest lexeme; a stop word has none and so counts as in no chunk, as before.
  const rows = await queryRows<{ word: string; frequency: number; total: number }>(
    context.db,
    sql`
    WITH target AS (SELECT id FROM collections WHERE name = ${collection}),
    lexemes AS (
      SELECT w.word, l.lexeme
      FROM unnest(${sql.param(questionWords)}::text[]) AS w(word)
      LEFT JOIN LATERAL unnest(tsvector_to_array(to_tsvector('english', w.word))) AS l(lexeme)
        ON true)
    SELECT lexemes.word,
      min(coalesce((SELECT sum(t.chunks) FROM collection_terms t, target
        WHERE t.collection_id = target.id AND t.lexeme = lexemes.lexeme), 0))::int AS frequency,
      (SELECT coalesce(sum(s.chunks), 0) FROM collection_statistics s, target
        WHERE s.collection_id = target.id)::int AS total
    FROM lexemes GROUP BY lexemes.word`,
  );
  const frequency = new Map<string, number>();
  for (const row of rows) {
    for (const term of matchTerms(row.word)) {
      frequency.set(term, Math.max(frequency.get(term) ?? 0, row.frequency));
    }
  }
  return { chunks: rows[0]?.total ?? 0, frequency };
}

/** The same statistics over texts in memory (tests, and a caller without a database). */
export function textTermStatistics(texts: readonly string[]): TermStatistics {
  const frequency = new Map<string, number>();
  for (const text of texts) {
    for (const term of new Set(matchTerms(text))) {
      frequency.set(term, (frequency.get(term) ?? 0) + 1);
    }
  }
  return { chunks: texts.length, frequency };
}
