// Per-key request rate limits, daily token quotas and failed-auth limits, kept in Postgres so every API replica agrees.
import { type LoreDb, queries, queryRows } from "@lore/db";
import { sql } from "drizzle-orm";
import { cacheKey } from "../caches";
import { contextCaches, type LoreContext } from "../context";
import { LoreError } from "../errors";
import { type Principal, utcDayStart } from "./api-keys";

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
 * Adds `amount` to `bucket`'s counter for the minute window holding `now` (one atomic upsert) and
 * returns the new count with the seconds left in the window.
 */
async function countInWindow(
  db: LoreDb,
  bucket: string,
  now: Date,
  amount = 1,
): Promise<{ count: number; retryAfterSeconds: number }> {
  const windowStart = minuteWindow(now);
  const [row] = await queryRows<{ count: number }>(
    db,
    sql`INSERT INTO rate_limits (bucket, window_start, count)
        VALUES (${bucket}, ${windowStart.toISOString()}, ${amount})
        ON CONFLICT (bucket, window_start)
        DO UPDATE SET count = LEAST(rate_limits.count::bigint + ${amount}, ${MAX_COUNT})::int
        RETURNING count`,
  );
  const count = row?.count ?? 0;
  if (count === amount) {
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

/** Requests one process takes from a key's counter per database write, at most. */
const MAX_LEASE = 64;
/** A lease is at most this fraction of the limit: replicas' unused leases refuse little early. */
const LEASE_DIVISOR = 20;

/** Requests of one key this process has counted in the database and may still admit. */
interface RequestLease {
  windowStart: number;
  remaining: number;
  /** The counter reached the limit: nothing more is admitted until the window ends. */
  exhausted: boolean;
  /** The lease being taken, which concurrent requests of the key wait for. */
  taking?: Promise<void> | undefined;
}

const REQUEST_LEASES = cacheKey<Map<string, RequestLease>>("rate limit leases");

/**
 * Counts this request in the key's current one-minute window and throws rate_limited with the
 * seconds left in the window when the key is over its limit.
 *
 * A write per request would serialise every request of a busy key on its counter row (each
 * waiting for the previous one's commit). So a process counts requests in the database ahead of
 * time, a lease of up to limit / 20 (at most 64) at once, and admits them from memory. The
 * database's count is what every replica has leased, so the requests admitted in a window
 * never exceed the limit; a lease another replica has not used up only makes one refuse
 * early, and with limits under 40 a minute every request is counted on its own, as before.
 */
export async function consumeRateLimit(
  context: Pick<LoreContext, "db" | "caches">,
  principal: Principal,
  now: Date = new Date(),
): Promise<void> {
  const limit = principal.rateLimitPerMinute;
  if (limit === null) return;
  const bucket = `requests:${principal.keyId}`;
  const windowStart = minuteWindow(now).getTime();
  const leases = contextCaches(context).get(REQUEST_LEASES, () => new Map());
  for (;;) {
    let lease = leases.get(bucket);
    if (lease?.windowStart !== windowStart) {
      if (leases.size > 10_000) {
        for (const [name, old] of leases) if (old.windowStart < windowStart) leases.delete(name);
      }
      lease = { windowStart, remaining: 0, exhausted: false };
      leases.set(bucket, lease);
    }
    if (lease.remaining > 0) {
      lease.remaining -= 1;
      return;
    }
    if (lease.exhausted) {
      throw new LoreError(
        "rate_limited",
        `Rate limit of ${limit} requests per minute exceeded for this API key.`,
        { retryAfterSeconds: secondsUntil(windowStart + WINDOW_SECONDS * 1000, now) },
      );
    }
    const taking = lease;
    taking.taking ??= takeLease(context.db, bucket, limit, taking, now).finally(() => {
      taking.taking = undefined;
    });
    await taking.taking;
  }
}

/** Adds a lease to the key's counter and keeps what of it was still under the limit. */
async function takeLease(
  db: LoreDb,
  bucket: string,
  limit: number,
  lease: RequestLease,
  now: Date,
): Promise<void> {
  const size = Math.min(MAX_LEASE, Math.max(1, Math.floor(limit / LEASE_DIVISOR)));
  const { count } = await countInWindow(db, bucket, now, size);
  const granted = Math.max(0, Math.min(size, limit - (count - size)));
  lease.remaining += granted;
  if (granted < size) lease.exhausted = true;
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
  const dayStart = utcDayStart(now);
  const bucket = `tokens:${principal.keyId}`;
  const tokens = Math.max(0, Math.ceil(estimate));
  const quotaUsedUp = () =>
    new LoreError("rate_limited", `Daily token quota of ${limit} used up for this API key.`, {
      retryAfterSeconds: secondsUntil(dayStart.getTime() + DAY_MS, now),
    });
  // An answer that spends no tokens (no chat model) reserves nothing: the counter authentication
  // read a moment ago decides, without a write to the key's busiest row.
  const seen = principal.tokensToday;
  if (tokens === 0 && seen?.dayStart === dayStart.getTime()) {
    if (seen.used >= limit) throw quotaUsedUp();
    return { keyId: principal.keyId, dayStart, tokens };
  }
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
  if (reserved.length === 0) throw quotaUsedUp();
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
