// The tunables a LoreContext carries (answering, retrieval), typed beneath every domain folder so context.ts imports none.

/** USD per million tokens. */
export interface ChatPrice {
  input: number;
  output: number;
}

/** How much of the question the best retrieved passage must cover (answering/evidence.ts). */
export interface EvidenceThreshold {
  /** The answer is not in the documents when the best passage's coverage is below this. */
  minCoverage: number;
}

export interface AnsweringSettings {
  /** Tokens of source text the prompt may hold; decides how many retrieved chunks are given. */
  sourceTokens: number;
  /** Most tokens the model may answer with. */
  maxAnswerTokens: number;
  /** The whole generation (every attempt and retry); past it the extractive answer stands in. */
  deadlineMs: number;
  /** Below this the model is not called and the answer abstains. */
  evidence: EvidenceThreshold;
  /** By model name ("gpt-4o-mini") or ChatModel id ("openai:gpt-4o-mini"); unknown models cost 0. */
  prices: Record<string, ChatPrice>;
}

export interface RetrievalSettings {
  /** Candidates taken from each ranking before fusion (at least the request's topK). */
  candidates: number;
  /** The RRF constant k in weight / (k + rank). */
  rrfK: number;
  /** Weight of the vector ranking in the fusion; at 0 its chunks only follow the BM25 ones. */
  vectorWeight: number;
  /** Weight of the BM25 ranking in the fusion; at 0 its chunks only follow the vector ones. */
  textWeight: number;
  /** Okapi BM25 parameters of the full-text ranking. */
  bm25: { k1: number; b: number };
}

export type RetrievalOverrides = Partial<Omit<RetrievalSettings, "bm25">> & {
  bm25?: Partial<RetrievalSettings["bm25"]>;
};
