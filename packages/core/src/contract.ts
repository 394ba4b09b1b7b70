// Request and response schemas of Lore's public verbs; the API, its OpenAPI document and the CLI share them.
import { z } from "zod";

export const MAX_QUESTION_LENGTH = 2000;
export const MAX_TOP_K = 50;

/** A collection's name, wherever one is given (HTTP, CLI, jobs). */
export const CollectionName = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[a-z0-9][a-z0-9_-]*$/, 'lowercase letters, digits, "-" or "_"');

export const SearchFilters = z
  .object({
    pathPrefix: z.string().min(1).max(1024).optional(),
    tags: z.array(z.string().min(1).max(100)).max(20).optional(),
  })
  .strict();
export type SearchFilters = z.infer<typeof SearchFilters>;

export const MAX_HISTORY_MESSAGES = 20;
export const MAX_HISTORY_MESSAGE_LENGTH = 8000;

/** An earlier turn of the conversation; the question is rewritten to stand on its own before retrieval. */
export const HistoryMessage = z
  .object({
    role: z.enum(["user", "assistant"]),
    content: z.string().trim().min(1, "must not be empty").max(MAX_HISTORY_MESSAGE_LENGTH),
  })
  .strict();
export type HistoryMessage = z.infer<typeof HistoryMessage>;

export const AskRequest = z
  .object({
    question: z.string().trim().min(1, "must not be empty").max(MAX_QUESTION_LENGTH),
    collection: CollectionName.default("default"),
    topK: z.number().int().min(1).max(MAX_TOP_K).optional(),
    filters: SearchFilters.optional(),
    stream: z.boolean().optional(),
    history: z.array(HistoryMessage).max(MAX_HISTORY_MESSAGES).optional(),
  })
  .strict();
export type AskRequest = z.infer<typeof AskRequest>;

/** Where a chunk sits: shared by citations and search results. */
const ChunkLocation = z.object({
  chunkId: z.string(),
  documentId: z.string(),
  source: z.string(),
  title: z.string(),
  heading: z.string(),
  startLine: z.number().int(),
  endLine: z.number().int(),
  score: z.number(),
});

export const Citation = ChunkLocation.extend({ n: z.number().int(), snippet: z.string() });
export type Citation = z.infer<typeof Citation>;

export const Timings = z.object({
  /** Rewriting a follow-up question into a standalone one; only with `history` and an LLM. */
  rewriteMs: z.number().optional(),
  embedMs: z.number(),
  retrieveMs: z.number(),
  generateMs: z.number(),
  totalMs: z.number(),
});
export type Timings = z.infer<typeof Timings>;

export const Usage = z.object({
  promptTokens: z.number().int(),
  completionTokens: z.number().int(),
  costUsd: z.number(),
});
export type Usage = z.infer<typeof Usage>;

export const AskResponse = z.object({
  queryId: z.string(),
  answer: z.string(),
  abstained: z.boolean(),
  mode: z.enum(["llm", "extractive", "extractive-fallback"]),
  citations: z.array(Citation),
  /** Citation numbers the model used that were not sources in its prompt; removed from the answer. */
  droppedCitations: z.number().int().optional(),
  timings: Timings,
  /** Tokens and cost of the chat model calls made for this answer (absent in extractive mode). */
  usage: Usage.optional(),
  /** Why the answer is not what was configured, e.g. the model failed and the extractive answer stands in. */
  warnings: z.array(z.string()).optional(),
});
export type AskResponse = z.infer<typeof AskResponse>;

export const SearchRequest = z
  .object({
    query: z.string().trim().min(1, "must not be empty").max(MAX_QUESTION_LENGTH),
    collection: CollectionName.default("default"),
    topK: z.number().int().min(1).max(MAX_TOP_K).optional(),
    filters: SearchFilters.optional(),
  })
  .strict();
export type SearchRequest = z.infer<typeof SearchRequest>;

export const SearchResult = ChunkLocation.extend({ text: z.string() });
export type SearchResult = z.infer<typeof SearchResult>;

export const SearchResponse = z.object({ results: z.array(SearchResult) });
export type SearchResponse = z.infer<typeof SearchResponse>;

export const CollectionInfo = z.object({
  name: z.string(),
  embeddingModel: z.string(),
  embeddingDimensions: z.number().int(),
  documents: z.number().int(),
  chunks: z.number().int(),
});
export const CollectionsResponse = z.object({ collections: z.array(CollectionInfo) });
export type CollectionsResponse = z.infer<typeof CollectionsResponse>;
