// Per-key request rate limits and daily token quotas, kept in Postgres so every API replica agrees.
import { type LoreDb, queries, queryRows } from "@lore/db";
import { and, eq, gte, sql } from "drizzle-orm";
import { LoreError } from "../errors";
import type { Principal } from "./api-keys";

const WINDOW_SECONDS = 60;

/**
 * Counts this request in the key's current one-minute window (one atomic upsert) and throws
 * rate_limited with the seconds left in the window when the key is over its limit.
 */
export async function consumeRateLimit(
  db: LoreDb,
  principal: Principal,
  now: Date = new Date(),
): Promise<void> {
  const limit = principal.rateLimitPerMinute;
  if (limit === null) return;
  const windowStart = new Date(
    Math.floor(now.getTime() / (WINDOW_SECONDS * 1000)) * WINDOW_SECONDS * 1000,
  );
  const bucket = `requests:${principal.keyId}`;
  const [row] = await queryRows<{ count: number }>(
    db,
    sql`INSERT INTO rate_limits (bucket, window_start, count)
        VALUES (${bucket}, ${windowStart.toISOString()}, 1)
        ON CONFLICT (bucket, window_start) DO UPDATE SET count = rate_limits.count + 1
        RETURNING count`,
  );
  if (row?.count === 1) {
    // A new window began: the key's earlier windows can never matter again.
    await db.execute(
      sql`DELETE FROM rate_limits WHERE bucket = ${bucket} AND window_start < ${windowStart.toISOString()}`,
    );
  }
  if ((row?.count ?? 0) > limit) {
    const retryAfterSeconds = Math.max(
      1,
      Math.ceil((windowStart.getTime() + WINDOW_SECONDS * 1000 - now.getTime()) / 1000),
    );
    throw new LoreError(
      "rate_limited",
      `Rate limit of ${limit} requests per minute exceeded for this API key.`,
      { retryAfterSeconds },
    );
  }
}

/** Throws rate_limited when the key has used its daily token quota (UTC day). */
export async function checkTokenQuota(
  db: LoreDb,
  principal: Principal,
  now: Date = new Date(),
): Promise<void> {
  const limit = principal.dailyTokenLimit;
  if (limit === null) return;
  const dayStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  const [usage] = await db
    .select({
      tokens: sql<number>`coalesce(sum(${queries.promptTokens} + ${queries.completionTokens}), 0)::int`,
    })
    .from(queries)
    .where(and(eq(queries.keyId, principal.keyId), gte(queries.createdAt, dayStart)));
  if ((usage?.tokens ?? 0) >= limit) {
    const retryAfterSeconds = Math.ceil((dayStart.getTime() + 86_400_000 - now.getTime()) / 1000);
    throw new LoreError("rate_limited", `Daily token quota of ${limit} used up for this API key.`, {
      retryAfterSeconds,
    });
  }
}
