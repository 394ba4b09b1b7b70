// Writes one row per answered question to the `queries` log: answer, citations, mode, timings, tokens, cost.
import { type LoreDb, queries } from "@lore/db";
import type { AskResponse } from "../answering/schemas";
import { cacheKey } from "../caches";
import { contextCaches, type LoreContext } from "../context";

export interface QueryRecord {
  collection: string;
  question: string;
  response: AskResponse;
  /** The ChatModel id when a model was configured; null for extractive answers. */
  model: string | null;
  keyId: string | null;
}

type QueryRow = typeof queries.$inferInsert;

interface PendingRow {
  row: QueryRow;
  written: () => void;
  failed: (error: unknown) => void;
}

/** Rows in one INSERT at most, so a burst of answers does not make one huge statement. */
const MAX_ROWS_PER_INSERT = 100;

/**
 * Group commit for the query log. A row is written at once when no write is in flight; rows of
 * answers finishing while one is become the next single multi-row INSERT (one round trip and one
 * commit instead of one each). Every caller still waits for its own row, so a query is in the
 * log before its answer is returned, as feedback and token quotas expect, and nothing is held in
 * memory across a crash or shutdown.
 */
class QueryLog {
  private pending: PendingRow[] = [];
  private writing = false;

  constructor(private readonly db: LoreDb) {}

  write(row: QueryRow): Promise<void> {
    return new Promise((written, failed) => {
      this.pending.push({ row, written, failed });
      if (!this.writing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.writing = true;
    while (this.pending.length > 0) {
      await this.insert(this.pending.splice(0, MAX_ROWS_PER_INSERT));
    }
    this.writing = false;
  }

  private async insert(batch: PendingRow[]): Promise<void> {
    try {
      await this.db.insert(queries).values(batch.map((entry) => entry.row));
      for (const entry of batch) entry.written();
    } catch (error) {
      if (batch.length === 1) {
        batch[0]?.failed(error);
        return;
      }
      // One row the database refuses must not fail the others' answers: each goes on its own.
      for (const entry of batch) await this.insert([entry]);
    }
  }
}

const QUERY_LOG = cacheKey<QueryLog>("query log");

export async function recordQuery(
  context: Pick<LoreContext, "db" | "caches">,
  record: QueryRecord,
): Promise<void> {
  const { response } = record;
  const log = contextCaches(context).get(QUERY_LOG, () => new QueryLog(context.db));
  await log.write({
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
