// Writes one row per answered question to the `queries` log: answer, citations, mode, timings, tokens, cost.
import { type LoreDb, queries } from "@lore/db";
import type { AskResponse } from "../contract";

export interface QueryRecord {
  collection: string;
  question: string;
  response: AskResponse;
  /** The ChatModel id when a model was configured; null for extractive answers. */
  model: string | null;
  keyId: string | null;
}

export async function recordQuery(db: LoreDb, record: QueryRecord): Promise<void> {
  const { response } = record;
  await db.insert(queries).values({
    id: response.queryId,
    collection: record.collection,
    question: record.question,
    answer: response.answer,
    abstained: response.abstained,
    mode: response.mode,
    citations: response.citations,
    // jsonb drops undefined keys anyway; the column type wants only numbers.
    timings: Object.fromEntries(
      Object.entries(response.timings).filter(
        (entry): entry is [string, number] => entry[1] !== undefined,
      ),
    ),
    warnings: response.warnings ?? [],
    model: record.model,
    promptTokens: response.usage?.promptTokens ?? 0,
    completionTokens: response.usage?.completionTokens ?? 0,
    costUsd: response.usage?.costUsd ?? 0,
    keyId: record.keyId,
  });
}
