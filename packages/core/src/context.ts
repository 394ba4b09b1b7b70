// What every domain verb runs against; built once by each app's composition root.
import type { LoreDb, VectorIndexSettings } from "@lore/db";
import type { ChatModel, Embedder } from "@lore/providers";
import { LoreCaches } from "./caches";
import type { AnsweringSettings, RetrievalOverrides } from "./settings";

export interface LoreContext {
  db: LoreDb;
  embedder: Embedder;
  /**
   * Embeds questions and search queries: the same model as `embedder` with a short timeout and
   * few retries, so a hanging provider fails a request in seconds instead of holding it for an
   * ingest's patience. Defaults to `embedder`.
   */
  queryEmbedder?: Embedder;
  /** Answers with this model when set; without it answers are extractive. */
  chat?: ChatModel;
  /** Overrides of DEFAULT_ANSWERING (prompt budget, deadline, evidence threshold, prices). */
  answering?: Partial<AnsweringSettings>;
  /** Overrides of DEFAULT_VECTOR_INDEX for the HNSW indexes ingestion creates. */
  vectorIndex?: Partial<VectorIndexSettings>;
  /** Overrides of the embedder's default retrieval settings (fusion weights, RRF k, BM25). */
  retrieval?: RetrievalOverrides;
  /**
   * What the verbs cache between calls (checked collections, the query log's group commit); made
   * on first use (`contextCaches`). A copy of the context (`{ ...context, chat }`) shares them; a
   * copy over another database must leave them behind: `{ ...context, db, caches: undefined }`.
   */
  caches?: LoreCaches | undefined;
}

/** The context's caches, made and kept on the context the first time a verb needs one. */
export function contextCaches(context: Pick<LoreContext, "caches">): LoreCaches {
  context.caches ??= new LoreCaches();
  return context.caches;
}
