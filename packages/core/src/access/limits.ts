// Per-key request rate limits, daily token quotas and failed-auth limits, kept in Postgres so every API replica agrees.
import { type LoreDb, queries, queryRows } from "@lore/db";
import { sql } from "drizzle-orm";
import type { LoreContext } from "../context";
import { LoreError } from "../errors";
import type { Principal } from "./api-keys";

const WINDOW_SECONDS = 60;
const DAY_MS = 86_400_000;
// rate_limits.count is an int4: a reservation near the top of the range stops there.
const MAX_COUNT = 2_147_483_647;

function minuteWindow(now: Date): Date {
  return new Date(Math.floor(now.getTime() / (WINDOW_SECONDS * 1000)) * WINDOW_SECONDS * 1000);
}

function secondsUntil(end: number, now: Date): number {
  return Math.max(1, Math.ceil((end - now.getTime()) / 1000));
}

/**
 * Adds one to `bucket`'s counter for the minute window holding `now` (one atomic upsert) and
 * returns the new count with the seconds left in the window.
 */
async function countInWindow(
  db: LoreDb,
  bucket: string,
  now: Date,
): Promise<{ count: number; retryAfterSeconds: number }> {
  const windowStart = minuteWindow(now);
  const [row] = await queryRows<{ count: number }>(
    db,
    sql`INSERT INTO rate_limits (bucket, window_start, count)
        VALUES (${bucket}, ${windowStart.toISOString()}, 1)
        ON CONFLICT (bucket, window_start) DO UPDATE SET count = rate_limits.count + 1
        RETURNING count`,
  );
  const count = row?.count ?? 0;
  if (count === 1) {
    // A new window began: the bucket's earlier windows can never matter again.
    await db.execute(
      sql`DELETE FROM rate_limits WHERE bucket = ${bucket} AND window_start < ${windowStart.toISOString()}`,
    );
  }
  return {
    count,
    retryAfterSeconds: secondsUntil(windowStart.getTime() + WINDOW_SECONDS * 1000, now),
  };
}

/**
 * Counts this request in the key's current one-minute window and throws rate_limited with the
 * seconds left in the window when the key is over its limit.
 */
export async function consumeRateLimit(
  context: Pick<LoreContext, "db">,
  principal: Principal,
  now: Date = new Date(),
): Promise<void> {
  const limit = principal.rateLimitPerMinute;
  if (limit === null) return;
  const { count, retryAfterSeconds } = await countInWindow(
    context.db,
    `requests:${principal.keyId}`,
    now,
  );
  if (count > limit) {
    throw new LoreError(
      "rate_limited",
      `Rate limit of ${limit} requests per minute exceeded for this API key.`,
      { retryAfterSeconds },
    );
  }
}

/**
 * Counts one failed authentication from `client` (an IP address) in the current minute, shared by
 * every replica; returns the failures so far and the seconds until the window ends.
 */
export async function countAuthFailure(
  context: Pick<LoreContext, "db">,
  client: string,
  now: Date = new Date(),
): Promise<{ count: number; retryAfterSeconds: number }> {
  return countInWindow(context.db, `auth-failures:${client}`, now);
}

/** Tokens held for one answer until it settles; `tokens` may be 0 (no chat model, no quota). */
export interface TokenReservation {
  keyId: string;
  dayStart: Date;
  tokens: number;
}

/**
 * Reserves `estimate` tokens of the key's daily quota (UTC day) in one conditional statement, so
 * concurrent asks cannot all pass a check made before any of them was counted. A key is admitted
 * while its used-plus-reserved tokens are below its limit, which bounds a day's usage by the limit
 * plus one answer's estimate; a quota smaller than one estimate still admits one answer at a
 * time. The day's counter starts from the tokens already logged in `queries` that day.
 * Returns undefined for keys without a quota.
 */
export async function reserveTokens(
  context: Pick<LoreContext, "db">,
  principal: Principal,
  estimate: number,
  now: Date = new Date(),
): Promise<TokenReservation | undefined> {
  const limit = principal.dailyTokenLimit;
  if (limit === null) return undefined;
  const dayStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  const bucket = `tokens:${principal.keyId}`;
  const tokens = Math.max(0, Math.ceil(estimate));
  const reserve = () =>
    queryRows<{ count: number }>(
      context.db,
      sql`UPDATE rate_limits SET count = LEAST(count::bigint + ${tokens}, ${MAX_COUNT})::int
          WHERE bucket = ${bucket} AND window_start = ${dayStart.toISOString()} AND count < ${limit}
          RETURNING count`,
    );
  let reserved = await reserve();
  if (reserved.length === 0) {
    // No counter for today yet (or the quota is used up): create it from the logged usage, then try once more.
    const created = await queryRows<{ count: number }>(
      context.db,
      sql`INSERT INTO rate_limits (bucket, window_start, count)
          SELECT ${bucket}, ${dayStart.toISOString()},
                 LEAST(coalesce(sum(${queries.promptTokens} + ${queries.completionTokens}), 0), ${MAX_COUNT})::int
          FROM ${queries}
          WHERE ${queries.keyId} = ${principal.keyId} AND ${queries.createdAt} >= ${dayStart.toISOString()}
          ON CONFLICT (bucket, window_start) DO NOTHING
          RETURNING count`,
    );
    if (created.length > 0) {
      await context.db.execute(
        sql`DELETE FROM rate_limits WHERE bucket = ${bucket} AND window_start < ${dayStart.toISOString()}`,
      );
    }
    // Also when a concurrent first ask of the day created the counter: this one reserves in it.
    reserved = await reserve();
  }
  if (reserved.length === 0) {
    throw new LoreError("rate_limited", `Daily token quota of ${limit} used up for this API key.`, {
      retryAfterSeconds: secondsUntil(dayStart.getTime() + DAY_MS, now),
    });
  }
  return { keyId: principal.keyId, dayStart, tokens };
}

/**
 * Replaces a reservation with the tokens the answer really used (0 when it failed), in the day
 * the reservation was made.
 */
export async function settleTokens(
  context: Pick<LoreContext, "db">,
  reservation: TokenReservation,
  usedTokens: number,
): Promise<void> {
  const delta = Math.max(0, Math.ceil(usedTokens)) - reservation.tokens;
  if (delta === 0) return;
  await context.db.execute(
    sql`UPDATE rate_limits
        SET count = GREATEST(0, LEAST(count::bigint + ${delta}, ${MAX_COUNT}))::int
        WHERE bucket = ${`tokens:${reservation.keyId}`} AND window_start = ${reservation.dayStart.toISOString()}`,
  );
}
