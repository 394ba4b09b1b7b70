// How hybrid retrieval fuses its two rankings: defaults per embedder, overridden by configuration and per call.
import { LoreError } from "../errors";
import type { RetrievalOverrides, RetrievalSettings } from "../settings";

/**
 * For embedders that carry meaning beyond shared words (OpenAI-compatible models): plain RRF
 * with equal weights, the usual default, since each ranking finds what the other misses.
 */
export const DEFAULT_RETRIEVAL: RetrievalSettings = {
  candidates: 40,
  rrfK: 60,
  vectorWeight: 1,
  textWeight: 1,
  bm25: { k1: 0.9, b: 0.4 },
};

/**
 * The local hashing embedder repeats BM25's word signal without IDF. Measured per corpus
 * (evals/README.md), any vector weight from 0.02 to 1 lowered nDCG@10 on the paraphrased golden
 * set and gained at most 0.01 elsewhere, and a public BEIR corpus loses 0.05 at the old weights:
 * so its ranking only adds, after every BM25 match, the chunks that share no word with the query.
 * It runs only when the full-text matches do not fill the page (see `hybridSearch`).
 */
export const LOCAL_EMBEDDER_RETRIEVAL: RetrievalSettings = {
  ...DEFAULT_RETRIEVAL,
  vectorWeight: 0,
};

/** Embedder ids of the local hashing embedder start with this (see @lore/providers). */
const LOCAL_EMBEDDER_PREFIX = "local:";

/** The settings for an embedder, each later set of overrides winning over the earlier ones. */
export function retrievalSettings(
  embedderId: string,
  ...overrides: (RetrievalOverrides | undefined)[]
): RetrievalSettings {
  const base = embedderId.startsWith(LOCAL_EMBEDDER_PREFIX)
    ? LOCAL_EMBEDDER_RETRIEVAL
    : DEFAULT_RETRIEVAL;
  let settings: RetrievalSettings = { ...base, bm25: { ...base.bm25 } };
  for (const override of overrides) {
    if (!override) continue;
    const { bm25, ...rest } = override;
    settings = {
      ...settings,
      ...definedOnly(rest),
      bm25: { ...settings.bm25, ...definedOnly(bm25 ?? {}) },
    };
  }
  if (settings.vectorWeight <= 0 && settings.textWeight <= 0) {
    throw new LoreError("invalid_request", "Retrieval needs a vector or a text weight above 0.");
  }
  return settings;
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(value).filter(([, entry]) => entry !== undefined),
  ) as Partial<T>;
}

/** Flat configuration values (LORE_RETRIEVAL_*), unset ones left to the embedder's defaults. */
export function retrievalOverrides(values: {
  candidates?: number;
  rrfK?: number;
  vectorWeight?: number;
  textWeight?: number;
  bm25K1?: number;
  bm25B?: number;
}): RetrievalOverrides {
  const { bm25K1, bm25B, ...rest } = values;
  const bm25 = definedOnly({ k1: bm25K1, b: bm25B });
  return { ...definedOnly(rest), ...(Object.keys(bm25).length > 0 ? { bm25 } : {}) };
}
