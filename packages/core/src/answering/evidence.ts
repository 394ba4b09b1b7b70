// How strongly the retrieved chunks bear on the question: below the threshold the LLM is not called.
import { terms } from "@lore/providers";
import type { RetrievedChunk } from "../retrieval/hybrid-search";

export interface Evidence {
  /** Best share of the question's distinct content terms found in one chunk (text, heading or title). */
  coverage: number;
  /** Best cosine similarity of a chunk to the question; 0 when no chunk came from the vector ranking. */
  similarity: number;
}

export interface EvidenceThreshold {
  /** Evidence is too weak when coverage is below this… */
  minCoverage: number;
  /** …and similarity is below this too (either alone is enough to ask the model). */
  minSimilarity: number;
}

// Deliberately low: the model itself answers NO_ANSWER on weak sources; this only saves the call
// when retrieval found nothing related at all (paraphrased golden questions score 0.25 / 0.13 with
// the local embedder, unanswerable off-topic ones about 0 / 0.05). Tuned by the evals.
export const DEFAULT_EVIDENCE_THRESHOLD: EvidenceThreshold = {
  minCoverage: 0.2,
  minSimilarity: 0.1,
};

export function isTooWeak(evidence: Evidence, threshold: EvidenceThreshold): boolean {
  return evidence.coverage < threshold.minCoverage && evidence.similarity < threshold.minSimilarity;
}

export function retrievalEvidence(question: string, chunks: readonly RetrievedChunk[]): Evidence {
  const questionTerms = [...new Set(terms(question))];
  let coverage = 0;
  let similarity = 0;
  for (const chunk of chunks) {
    similarity = Math.max(similarity, chunk.similarity ?? 0);
    if (questionTerms.length === 0) continue;
    const chunkTerms = new Set(terms(`${chunk.title}\n${chunk.heading}\n${chunk.text}`));
    const found = questionTerms.filter((term) => chunkTerms.has(term)).length;
    coverage = Math.max(coverage, found / questionTerms.length);
  }
  return { coverage, similarity };
}
