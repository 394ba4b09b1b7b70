// What every domain verb runs against; built once by each app's composition root.
import type { LoreDb, VectorIndexSettings } from "@lore/db";
import type { ChatModel, Embedder } from "@lore/providers";
import type { AnsweringSettings } from "./answering/settings";

export interface LoreContext {
  db: LoreDb;
  embedder: Embedder;
  /** Answers with this model when set; without it answers are extractive. */
  chat?: ChatModel;
  /** Overrides of DEFAULT_ANSWERING (prompt budget, deadline, evidence threshold, prices). */
  answering?: Partial<AnsweringSettings>;
  /** Overrides of DEFAULT_VECTOR_INDEX for the HNSW indexes ingestion creates. */
  vectorIndex?: Partial<VectorIndexSettings>;
}
