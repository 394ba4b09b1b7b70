// Query log retention: deletes questions (and their feedback) older than the configured days, on a timer.
import { queryRows } from "@lore/db";
import { sql } from "drizzle-orm";
import type { LoreContext } from "../context";
import type { RetentionResult } from "./schemas";

/** Rows per DELETE, so a first run over a long backlog never holds one huge transaction. */
const DELETE_BATCH = 5000;
const DAY_MS = 86_400_000;
export const DEFAULT_RETENTION_INTERVAL_MS = 3_600_000;

/** Deletes query rows created before `before`, and the feedback on them, in batches. */
export async function deleteExpiredQueries(
  context: Pick<LoreContext, "db">,
  input: { before: Date },
): Promise<RetentionResult> {
  let deletedQueries = 0;
  let deletedFeedback = 0;
  for (;;) {
    const [row] = await queryRows<{ queries: number; feedback: number }>(
      context.db,
      sql`WITH doomed AS (
            SELECT id FROM queries WHERE created_at < ${input.before.toISOString()} LIMIT ${DELETE_BATCH}
          ), gone_feedback AS (
            DELETE FROM feedback WHERE query_id IN (SELECT id FROM doomed) RETURNING 1
          ), gone_queries AS (
            DELETE FROM queries WHERE id IN (SELECT id FROM doomed) RETURNING 1
          )
          SELECT (SELECT count(*) FROM gone_queries)::int AS queries,
                 (SELECT count(*) FROM gone_feedback)::int AS feedback`,
    );
    deletedQueries += row?.queries ?? 0;
    deletedFeedback += row?.feedback ?? 0;
    if ((row?.queries ?? 0) < DELETE_BATCH) break;
  }
  return {
    queries: deletedQueries,
    feedback: deletedFeedback,
    before: input.before.toISOString(),
  };
}

export interface RetentionSchedule {
  stop(): Promise<void>;
}

/**
 * Runs `deleteExpiredQueries` for rows older than `days` now and every `intervalMs`. Several
 * processes may run it against one database: the deletes are idempotent. A failed run is reported
 * and the next tick tries again.
 */
export function scheduleQueryRetention(
  context: Pick<LoreContext, "db">,
  options: {
    days: number;
    intervalMs?: number;
    now?: () => Date;
    onRun?: (result: RetentionResult) => void;
    onError?: (error: unknown) => void;
  },
): RetentionSchedule {
  const now = options.now ?? (() => new Date());
  let running: Promise<void> | undefined;
  const run = () => {
    // A run still going (a long first backlog) is not started twice.
    if (running) return;
    running = deleteExpiredQueries(context, {
      before: new Date(now().getTime() - options.days * DAY_MS),
    })
      .then(
        (result) => options.onRun?.(result),
        (error: unknown) => options.onError?.(error),
      )
      .finally(() => {
        running = undefined;
      });
  };
  run();
  const timer = setInterval(run, options.intervalMs ?? DEFAULT_RETENTION_INTERVAL_MS);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
