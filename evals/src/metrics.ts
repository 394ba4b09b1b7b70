// Ranking and answer metrics shared by the golden and BEIR runners, computed the way pytrec_eval does.
import { terms } from "@lore/providers";

/** Graded relevance of documents for one query: document id → grade (0 = not relevant). */
export type Judgements = ReadonlyMap<string, number>;

/** Document ids in order of first appearance in a ranking of chunks (a document scores as its best chunk). */
export function rankDocuments(chunkDocuments: readonly string[]): string[] {
  return [...new Set(chunkDocuments)];
}

function relevantCount(judgements: Judgements): number {
  return [...judgements.values()].filter((grade) => grade > 0).length;
}

/** Share of the relevant documents found in the first k. */
export function recallAt(ranked: readonly string[], judgements: Judgements, k: number): number {
  const relevant = relevantCount(judgements);
  if (relevant === 0) return 0;
  const found = ranked.slice(0, k).filter((id) => (judgements.get(id) ?? 0) > 0).length;
  return found / relevant;
}

/** 1 / rank of the first relevant document within the first k, else 0. */
export function reciprocalRankAt(
  ranked: readonly string[],
  judgements: Judgements,
  k: number,
): number {
  const index = ranked.slice(0, k).findIndex((id) => (judgements.get(id) ?? 0) > 0);
  return index === -1 ? 0 : 1 / (index + 1);
}

/**
 * nDCG@k with linear gains (gain = grade, as in pytrec_eval and the BEIR leaderboard, not
 * 2^grade - 1) and a log2(rank + 1) discount; the ideal ranking sorts all judged grades.
 */
export function ndcgAt(ranked: readonly string[], judgements: Judgements, k: number): number {
  const discounted = (grades: readonly number[]) =>
    grades.slice(0, k).reduce((sum, grade, index) => sum + grade / Math.log2(index + 2), 0);
  const ideal = discounted(
    [...judgements.values()].filter((grade) => grade > 0).sort((a, b) => b - a),
  );
  if (ideal === 0) return 0;
  return discounted(ranked.map((id) => Math.max(0, judgements.get(id) ?? 0))) / ideal;
}

export function mean(values: readonly number[]): number {
  return values.length === 0 ? 0 : values.reduce((sum, value) => sum + value, 0) / values.length;
}

/** Nearest-rank percentile (p in 0..100) of a sample; 0 for an empty one. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] ?? 0;
}

/** Lowercase, markdown emphasis and code markers removed, whitespace collapsed: how key facts are matched. */
export function normaliseForMatch(text: string): string {
  return text.toLowerCase().replace(/[*`]/g, "").replace(/\s+/g, " ").trim();
}

/** Share of key facts that appear (normalised) in the answer. */
export function keyFactRecall(answer: string, keyFacts: readonly string[]): number {
  if (keyFacts.length === 0) return 1;
  const haystack = normaliseForMatch(answer);
  return (
    keyFacts.filter((fact) => haystack.includes(normaliseForMatch(fact))).length / keyFacts.length
  );
}

/**
 * Share of a reference answer's content terms (stop words dropped, stemmed) found in the answer:
 * for reference answers written in other words than the page, where exact key facts cannot be.
 */
export function answerTokenRecall(answer: string, reference: string): number {
  const wanted = new Set(terms(reference));
  if (wanted.size === 0) return 1;
  const found = new Set(terms(answer));
  return [...wanted].filter((term) => found.has(term)).length / wanted.size;
}
