// Schemas of the ask verb: the question with its history and options, and the answer with its citations.
import { z } from "zod";
import { Citation } from "../citations/schemas";
import { CollectionName } from "../collections/schemas";
import { MAX_QUESTION_LENGTH, MAX_TOP_K, SearchFilters } from "../retrieval/schemas";

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
