import { type Database, feedback, queries, queryRows } from "@lore/db";
import { createTestDatabase } from "@lore/db/testing";
import { createLocalEmbedder } from "@lore/providers";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LoreContext } from "../context";
import { listGaps } from "./gaps";
import { deleteExpiredQueries } from "./retention";
import { insightsUsage } from "./usage";

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** Far in the future: every report reads the raw log rows, the answer the rollups must match. */
const RAW = new Date("2999-01-01T00:00:00Z");
const NOW = Date.now();
/** Mid-hour and mid-day: the window's first partial hour and day are read both ways. */
const SINCE = new Date(NOW - 4 * DAY_MS - 1.37 * HOUR_MS);
const TABLES = [
  "insight_usage_rollups",
  "insight_latency_rollups",
  "insight_citation_rollups",
  "insight_gap_question_rollups",
  "insight_gap_citation_rollups",
  "insight_query_votes",
];

let database: Database;
let context: LoreContext;

/** A deterministic pseudo-random sequence, so every run seeds the same log. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

const QUESTIONS = [
  "How do stock options vest?",
  "how do  STOCK options vest? ",
  "What is the 401k match?",
  "How many PTO days do I get?",
  "Who approves expenses?",
];
const SOURCES = ["faq.md", "policies/leave.md", "engineering/deploy-guide.md"];

async function seed(): Promise<void> {
  const next = random(7);
  const pick = <T>(values: readonly T[]): T => values[Math.floor(next() * values.length)] as T;
  const rows: (typeof queries.$inferInsert)[] = [];
  for (let index = 0; index < 400; index++) {
    const refused = next() < 0.3;
    const citations = refused ? [] : [{ n: 1, source: pick(SOURCES) }, { source: pick(SOURCES) }];
    rows.push({
      id: `qry_r${index}`,
      collection: next() < 0.7 ? "default" : "handbook",
      question: pick(QUESTIONS),
      answer: "answer",
      abstained: refused,
      mode: !refused && next() < 0.15 ? "extractive-fallback" : "extractive",
      citations,
      timings: {
        embedMs: next() < 0.1 ? 0.02 : next() * 5,
        retrieveMs: 5 + next() * 80,
        totalMs: 10 + next() * 900,
        ...(refused ? {} : { generateMs: next() * 600 }),
      },
      promptTokens: Math.floor(next() * 900),
      completionTokens: Math.floor(next() * 90),
      costUsd: next() / 1000,
      keyId: next() < 0.5 ? null : pick(["key_a", "key_b"]),
      createdAt: new Date(NOW - next() * 6 * DAY_MS),
    });
  }
  // Several asks per statement (the query log's group commit) and one at a time.
  for (let start = 0; start < 300; start += 100) {
    await database.db.insert(queries).values(rows.slice(start, start + 100));
  }
  for (const row of rows.slice(300)) await database.db.insert(queries).values(row);
  // Votes: up, down, several downs on one ask, in one statement and alone.
  const votes: (typeof feedback.$inferInsert)[] = [];
  for (let index = 0; index < 400; index += 3) {
    const rating = next() < 0.5 ? "down" : "up";
    votes.push({ id: `fb_r${index}`, queryId: `qry_r${index}`, rating });
    if (index % 9 === 0)
      votes.push({ id: `fb_r${index}b`, queryId: `qry_r${index}`, rating: "down" });
  }
  await database.db.insert(feedback).values(votes.slice(0, 60));
  for (const vote of votes.slice(60)) await database.db.insert(feedback).values(vote);
  // A vote withdrawn by hand: the ask leaves its gap when its last down vote goes.
  await queryRows(database.db, sql`DELETE FROM feedback WHERE id IN ('fb_r9', 'fb_r9b', 'fb_r3')`);
}

async function rollupSnapshot(): Promise<Record<string, unknown[]>> {
  const snapshot: Record<string, unknown[]> = {};
  for (const table of TABLES) {
    snapshot[table] = await queryRows(
      database.db,
      sql`SELECT * FROM ${sql.raw(table)} t ORDER BY t::text`,
    );
  }
  return snapshot;
}

/** Float sums of cost differ in the last bits by summation order; everything else is exact. */
function roundCosts(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value, (key, field) =>
      ["costUsd", "cost_usd", "sum_ms"].includes(key) ? Math.round(Number(field) * 1e6) : field,
    ),
  );
}

async function expectRollupsMatchRawRows(): Promise<void> {
  for (const [since, collection] of [
    [SINCE, undefined],
    [SINCE, "handbook"],
    [new Date(NOW - 2 * DAY_MS), "default"],
  ] as const) {
    const request = { since, ...(collection ? { collection } : {}) };
    const fromRollups = await insightsUsage(context, request);
    expect(fromRollups.totals.questions).toBeGreaterThan(0);
    expect(roundCosts(fromRollups)).toEqual(
      roundCosts(await insightsUsage(context, request, null, RAW)),
    );
  }
  for (const collection of ["default", "handbook"]) {
    const fromRollups = await listGaps(context, { collection, since: SINCE });
    expect(fromRollups.gaps.length).toBeGreaterThan(0);
    expect(fromRollups).toEqual(await listGaps(context, { collection, since: SINCE }, RAW));
  }
}

beforeAll(async () => {
  database = await createTestDatabase();
  context = { db: database.db, embedder: createLocalEmbedder() };
  await seed();
}, 300_000);
afterAll(async () => {
  await database.close();
});

describe("insights rollups", () => {
  it("answer the usage and gaps reports as the raw log rows do", async () => {
    await expectRollupsMatchRawRows();
    // The counts against the log itself, read without any insights code.
    const [counts] = await queryRows<{ questions: number; refused: number; down: number }>(
      database.db,
      sql`SELECT count(*)::int AS questions, count(*) FILTER (WHERE abstained)::int AS refused,
          (SELECT count(*)::int FROM feedback f JOIN queries q ON q.id = f.query_id
            WHERE f.rating = 'down' AND q.created_at >= ${SINCE.toISOString()}) AS down
        FROM queries WHERE created_at >= ${SINCE.toISOString()}`,
    );
    const { totals } = await insightsUsage(context, { since: SINCE });
    expect({
      questions: totals.questions,
      refused: totals.refused,
      down: totals.thumbsDown,
    }).toEqual(counts);
    // Two spellings of one question are one gap question; "stock options" asks fail often.
    const gaps = await listGaps(context, { collection: "default", since: SINCE });
    const stock = gaps.gaps.flatMap((gap) => gap.questions);
    expect(stock.filter((entry) => entry.question === "how do stock options vest?")).toHaveLength(
      1,
    );
  });

  it("give latency percentiles within 10 % of the exact ones", async () => {
    const { totals } = await insightsUsage(context, { since: SINCE });
    for (const stage of ["embedMs", "retrieveMs", "generateMs", "totalMs"] as const) {
      const [exact] = await queryRows<{ p50: number; p95: number }>(
        database.db,
        sql`SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY (timings->>${stage})::float8) AS p50,
            percentile_cont(0.95) WITHIN GROUP (ORDER BY (timings->>${stage})::float8) AS p95
          FROM queries WHERE created_at >= ${SINCE.toISOString()}`,
      );
      for (const percentile of ["p50", "p95"] as const) {
        const approximate = totals.latency[stage][percentile] ?? Number.NaN;
        const value = Number(exact?.[percentile]);
        // The bucket's 10 %, plus the report's rounding to 0.1 ms.
        expect(Math.abs(approximate - value)).toBeLessThanOrEqual(value * 0.1 + 0.1);
      }
    }
  });

  it("equal a rebuild from the log after inserts, votes, a withdrawn vote and an edit", async () => {
    await queryRows(
      database.db,
      sql`UPDATE queries SET abstained = NOT abstained, mode = 'extractive' WHERE id IN ('qry_r0', 'qry_r1')`,
    );
    // The latest failed ask of all leaves its gap (its down votes withdrawn, then answered): the
    // hour, day and week it was the latest of take their latest remaining one (a maximum cannot
    // be subtracted).
    const [latest] = await queryRows<{ id: string }>(
      database.db,
      sql`SELECT q.id FROM queries q WHERE q.abstained OR q.mode = 'extractive-fallback'
          OR EXISTS (SELECT 1 FROM feedback f WHERE f.query_id = q.id AND f.rating = 'down')
        ORDER BY q.created_at DESC LIMIT 1`,
    );
    const id = latest?.id ?? "";
    await queryRows(
      database.db,
      sql`DELETE FROM feedback WHERE query_id = ${id} AND rating = 'down'`,
    );
    await queryRows(
      database.db,
      sql`UPDATE queries SET abstained = false, mode = 'extractive' WHERE id = ${id}`,
    );
    const incremental = await rollupSnapshot();
    await queryRows(database.db, sql`SELECT lore_insight_rebuild()`);
    expect(roundCosts(await rollupSnapshot())).toEqual(roundCosts(incremental));
  });

  it("lose deleted rows' contribution to retention, and keep the rest right", async () => {
    const before = new Date(NOW - 3.3 * DAY_MS);
    const result = await deleteExpiredQueries({ db: database.db }, { before });
    expect(result.queries).toBeGreaterThan(0);
    expect(result.feedback).toBeGreaterThan(0);
    const cutoffDay = before.toISOString().slice(0, 10);
    const [left] = await queryRows<{ rows: number; questions: number }>(
      database.db,
      sql`SELECT count(*)::int AS rows, coalesce(sum(questions), 0)::int AS questions
        FROM insight_usage_rollups
        WHERE (hour <= 24 AND day < ${cutoffDay}) OR (hour = 25 AND day + 7 <= ${cutoffDay}::date)`,
    );
    expect(left).toEqual({ rows: 0, questions: 0 });
    const [kept] = await queryRows<{ count: number }>(
      database.db,
      sql`SELECT count(*)::int AS count FROM queries`,
    );
    const [summed] = await queryRows<{ questions: number }>(
      database.db,
      sql`SELECT sum(questions)::int AS questions FROM insight_usage_rollups WHERE hour = 24`,
    );
    expect(summed?.questions).toBe(kept?.count);
    const incremental = await rollupSnapshot();
    await queryRows(database.db, sql`SELECT lore_insight_rebuild()`);
    expect(roundCosts(await rollupSnapshot())).toEqual(roundCosts(incremental));
    await expectRollupsMatchRawRows();
  });
});
