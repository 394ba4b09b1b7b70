import { type Database, queryRows } from "@lore/db";
import { createTestDatabase } from "@lore/db/testing";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LoreContext } from "../context";
import { LoreError } from "../errors";
import { authenticate, createApiKey, type Principal } from "./api-keys";
import { consumeRateLimit, reserveTokens } from "./limits";

let database: Database;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.close();
});

const principal = (keyId: string, rateLimitPerMinute: number): Principal => ({
  keyId,
  name: keyId,
  scopes: ["ask"],
  collections: null,
  rateLimitPerMinute,
  dailyTokenLimit: null,
});

/** A replica: its own caches over the shared database. */
const replica = (): Pick<LoreContext, "db" | "caches"> => ({ db: database.db });

const WINDOW = new Date("2026-12-02T10:00:00.000Z");

/** How many of `attempts` calls were admitted; anything but rate_limited fails the test. */
async function admitted(attempts: Promise<void>[]): Promise<number> {
  const outcomes = await Promise.allSettled(attempts);
  for (const outcome of outcomes) {
    if (outcome.status === "rejected") {
      expect(outcome.reason).toBeInstanceOf(LoreError);
      expect((outcome.reason as LoreError).code).toBe("rate_limited");
    }
  }
  return outcomes.filter((outcome) => outcome.status === "fulfilled").length;
}

const counter = async (keyId: string) =>
  (
    await queryRows<{ count: number }>(
      database.db,
      sql`SELECT count FROM rate_limits WHERE bucket = ${`requests:${keyId}`}`,
    )
  )[0]?.count;

describe("request rate limits", () => {
  it("counts a busy key's requests in leases, one write for many, and admits exactly its limit", async () => {
    const context = replica();
    const key = principal("key_lease", 100);
    await consumeRateLimit(context, key, WINDOW);
    // 100 / 20: five requests counted by the first one's write.
    expect(await counter("key_lease")).toBe(5);
    const rest = Array.from({ length: 120 }, () => consumeRateLimit(context, key, WINDOW));
    expect(await admitted(rest)).toBe(99);
    expect(await counter("key_lease")).toBeGreaterThanOrEqual(100);
  });

  it("never admits more than the limit across replicas, and refuses at most a lease early", async () => {
    const replicas = [replica(), replica(), replica()];
    const key = principal("key_replicas", 200);
    const attempts: Promise<void>[] = [];
    for (let request = 0; request < 300; request++) {
      attempts.push(consumeRateLimit(replicas[request % 3] as LoreContext, key, WINDOW));
    }
    const total = await admitted(attempts);
    expect(total).toBeLessThanOrEqual(200);
    // Each replica's unused remainder is under one lease (200 / 20 = 10).
    expect(total).toBeGreaterThan(200 - 2 * 10);
  });

  it("counts every request of a small limit on its own, and starts again in the next minute", async () => {
    const first = replica();
    const second = replica();
    const key = principal("key_small", 3);
    const statuses: boolean[] = [];
    for (let request = 0; request < 5; request++) {
      const context = request % 2 === 0 ? first : second;
      statuses.push((await admitted([consumeRateLimit(context, key, WINDOW)])) === 1);
    }
    expect(statuses).toEqual([true, true, true, false, false]);
    const next = new Date(WINDOW.getTime() + 60_000);
    expect(await admitted([consumeRateLimit(first, key, next)])).toBe(1);
  });

  it("tells a refused request how long until the window ends", async () => {
    const context = replica();
    const key = principal("key_retry", 1);
    await consumeRateLimit(context, key, WINDOW);
    const later = new Date(WINDOW.getTime() + 45_500);
    const refusal = await consumeRateLimit(context, key, later).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(LoreError);
    expect((refusal as LoreError).retryAfterSeconds).toBe(15);
  });
});

describe("daily token quotas", () => {
  it("checks an answer that spends no tokens against the counter authentication read, writing nothing", async () => {
    const context = replica();
    const { key, info } = await createApiKey(context, {
      name: "quota-read",
      scopes: ["ask"],
      dailyTokenLimit: 1000,
    });
    // Each authentication on a context of its own: a context remembers the keys it has seen.
    // No counter yet today: the first reservation makes it.
    const first = await authenticate(replica(), key, WINDOW);
    expect(first?.tokensToday).toBeUndefined();
    await reserveTokens(context, first as Principal, 0, WINDOW);
    const version = async () =>
      (
        await queryRows<{ version: string }>(
          database.db,
          sql`SELECT xmin::text AS version FROM rate_limits WHERE bucket = ${`tokens:${info.id}`}`,
        )
      )[0]?.version;
    const before = await version();
    const second = (await authenticate(replica(), key, WINDOW)) as Principal;
    expect(second.tokensToday).toEqual({ dayStart: Date.parse("2026-12-02T00:00:00Z"), used: 0 });
    expect(await reserveTokens(context, second, 0, WINDOW)).toMatchObject({ tokens: 0 });
    expect(await version()).toBe(before);
    await database.db.execute(
      sql`UPDATE rate_limits SET count = 1000 WHERE bucket = ${`tokens:${info.id}`}`,
    );
    const spent = (await authenticate(replica(), key, WINDOW)) as Principal;
    const refusal = await reserveTokens(context, spent, 0, WINDOW).catch((error: unknown) => error);
    expect((refusal as LoreError).code).toBe("rate_limited");
    // The next day starts from the log, not from yesterday's counter.
    const tomorrow = new Date(WINDOW.getTime() + 86_400_000);
    const nextDay = (await authenticate(replica(), key, tomorrow)) as Principal;
    expect(nextDay.tokensToday).toBeUndefined();
    expect(await reserveTokens(context, nextDay, 0, tomorrow)).toMatchObject({ tokens: 0 });
  });
});
