// `bench insights`: the gaps and usage queries' latency over a large query log (default 100,000 rows).
import {
  ingestFolder,
  insightsUsage,
  type LoreContext,
  listGaps,
  SAMPLE_DOCS_DIR,
} from "@lore/core";
import { feedback, migrate, openDatabase, queries, queryRows } from "@lore/db";
import { createLocalEmbedder } from "@lore/providers";
import { sql } from "drizzle-orm";
import { describeMachine, type Machine } from "./machine";
import { latencySummary, progress, round } from "./stats";

export interface InsightsBenchOptions {
  databaseUrl: string;
  rows: number;
  /** Timed runs of each query after one warm-up. */
  runs: number;
}

export interface InsightsBenchResult {
  benchmark: "insights";
  machine: Machine;
  database: string;
  rows: number;
  failedRows: number;
  feedbackRows: number;
  distinctQuestions: number;
  seedMs: number;
  runs: number;
  latencyMs: Record<string, { p50: number; p95: number; p99: number }>;
  shape: { gaps: number; gapsTopCount: number; usageDays: number };
  /** The reports equal the same reports read from the raw log rows alone. */
  sameAsRaw: boolean;
}

const DAY_MS = 86_400_000;
const TOPICS = [
  "PTO",
  "parental leave",
  "the meal per-diem",
  "deploy rollback",
  "feature flags",
  "on-call pay",
  "incident severity",
  "backups",
  "database migrations",
  "code review",
  "API pagination",
  "release versioning",
  "local Postgres",
  "onboarding laptops",
  "interview loops",
  "Slack channels",
  "support escalation",
  "plan limits",
  "GDPR requests",
  "security incidents",
];
const MISSING = [
  "stock options",
  "the 401k match",
  "relocation assistance",
  "visa sponsorship",
  "gym stipends",
  "the company car",
  "childcare vouchers",
  "standing desks",
  "tuition",
  "sabbatical pay",
];
const OPENERS = ["How do", "What is", "Where can I find", "Who owns", "When does", "Is there"];
const TAILS = ["?", " for contractors?", " in Dublin?", " in Portland?", " this year?"];
const SOURCES = [
  "policies/holidays-and-leave.md",
  "policies/expense-and-travel.md",
  "engineering/deploy-guide.md",
  "operations/on-call-runbook.md",
  "faq.md",
  "glossary.md",
  "people/onboarding.md",
];

/** A deterministic pseudo-random sequence, so every run seeds the same log. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

const pick = <T>(next: () => number, values: readonly T[]): T =>
  values[Math.floor(next() * values.length)] as T;

let insertCount = 0;

/** Cost sums differ in their last bits by summation order. */
function withoutCost(value: unknown): string {
  return JSON.stringify(value, (key, field) =>
    key === "costUsd" ? Math.round(Number(field) * 1e6) : field,
  );
}

async function timed(runs: number, run: () => Promise<unknown>): Promise<number[]> {
  await run();
  const samples: number[] = [];
  for (let index = 0; index < runs; index++) {
    const started = performance.now();
    await run();
    samples.push(performance.now() - started);
  }
  return samples;
}

export async function benchInsights(options: InsightsBenchOptions): Promise<InsightsBenchResult> {
  const database = await openDatabase({ kind: "postgres", url: options.databaseUrl, poolSize: 4 });
  try {
    await migrate(database);
    const context: LoreContext = { db: database.db, embedder: createLocalEmbedder() };
    await ingestFolder(context, SAMPLE_DOCS_DIR, { collection: "default" });
    await queryRows(database.db, sql`TRUNCATE queries CASCADE`);
    await queryRows(database.db, sql`TRUNCATE insight_gap_resolutions`);
    progress(`seeding ${options.rows} query rows`);
    const seedStarted = performance.now();
    const next = random(18);
    const now = Date.now();
    let failedRows = 0;
    let feedbackRows = 0;
    const batch = 1000;
    for (let start = 0; start < options.rows; start += batch) {
      const rows: (typeof queries.$inferInsert)[] = [];
      const votes: (typeof feedback.$inferInsert)[] = [];
      for (let index = start; index < Math.min(options.rows, start + batch); index++) {
        const refused = next() < 0.2;
        const fallback = !refused && next() < 0.05;
        const topic = refused ? pick(next, MISSING) : pick(next, TOPICS);
        const question = `${pick(next, OPENERS)} ${topic}${pick(next, TAILS)}`;
        const total = 20 + next() * 200;
        const id = `qry_bench${index}`;
        rows.push({
          id,
          collection: next() < 0.8 ? "default" : "handbook",
          question,
          answer: refused ? "I could not find this in the documents." : "An answer. [1]",
          abstained: refused,
          mode: fallback ? "extractive-fallback" : "extractive",
          citations: refused
            ? []
            : [
                { n: 1, source: pick(next, SOURCES) },
                { n: 2, source: pick(next, SOURCES) },
              ],
          timings: { embedMs: 1, retrieveMs: total * 0.3, generateMs: total * 0.6, totalMs: total },
          promptTokens: Math.floor(next() * 2000),
          completionTokens: Math.floor(next() * 300),
          costUsd: next() * 0.001,
          createdAt: new Date(now - next() * 30 * DAY_MS),
        });
        if (next() < 0.05) {
          const down = next() < 0.35;
          votes.push({ id: `fb_bench${index}`, queryId: id, rating: down ? "down" : "up" });
          if (down && !refused && !fallback) failedRows++;
          feedbackRows++;
        }
        if (refused || fallback) failedRows++;
      }
      await database.db.insert(queries).values(rows);
      if (votes.length > 0) await database.db.insert(feedback).values(votes);
    }
    await queryRows(database.db, sql`ANALYZE queries`);
    await queryRows(database.db, sql`ANALYZE feedback`);
    for (const table of ["usage", "latency", "citation", "gap_question", "gap_citation"]) {
      await queryRows(database.db, sql.raw(`ANALYZE insight_${table}_rollups`));
    }
    const seedMs = performance.now() - seedStarted;
    const [distinct] = await queryRows<{ count: number }>(
      database.db,
      sql`SELECT count(DISTINCT question)::int AS count FROM queries`,
    );
    progress("timing the insights queries");
    const gaps = await listGaps(context, { collection: "default" });
    const usage = await insightsUsage(context, {});
    // The same reports from the raw log rows alone (what the rollups replace): same answers.
    const raw = new Date("2999-01-01T00:00:00Z");
    const since = new Date(now - 30 * DAY_MS);
    const sameAsRaw =
      JSON.stringify(await listGaps(context, { collection: "default", since })) ===
        JSON.stringify(await listGaps(context, { collection: "default", since }, raw)) &&
      withoutCost(await insightsUsage(context, { since })) ===
        withoutCost(await insightsUsage(context, { since }, null, raw));
    const latencyMs = {
      gaps: latencySummary(
        await timed(options.runs, () => listGaps(context, { collection: "default" })),
      ),
      gapsLastWeek: latencySummary(
        await timed(options.runs, () =>
          listGaps(context, { collection: "default", since: new Date(now - 7 * DAY_MS) }),
        ),
      ),
      usageAllCollections: latencySummary(
        await timed(options.runs, () => insightsUsage(context, {})),
      ),
      usageOneCollection: latencySummary(
        await timed(options.runs, () => insightsUsage(context, { collection: "default" })),
      ),
      // A fresh context each run: every question embedded and every gap searched again, as after
      // a restart or an ingest into the collection. Not a report's steady state; shown for scale.
      gapsColdCaches: latencySummary(
        await timed(options.runs, () =>
          listGaps({ db: database.db, embedder: createLocalEmbedder() }, { collection: "default" }),
        ),
      ),
      // What the rollup triggers add to each ask: one query log row written on its own.
      queryLogInsert: latencySummary(
        await timed(options.runs, async () => {
          await database.db.insert(queries).values({
            id: `qry_benchinsert${insertCount++}`,
            collection: "default",
            question: "How do stock options vest?",
            answer: "I could not find this in the documents.",
            abstained: true,
            mode: "extractive",
            timings: { embedMs: 1, retrieveMs: 30, generateMs: 60, totalMs: 100 },
          });
        }),
      ),
    };
    return {
      benchmark: "insights",
      machine: describeMachine(),
      database: "postgres",
      rows: options.rows,
      failedRows,
      feedbackRows,
      distinctQuestions: distinct?.count ?? 0,
      seedMs: round(seedMs, 0),
      runs: options.runs,
      latencyMs,
      shape: {
        gaps: gaps.gaps.length,
        gapsTopCount: gaps.gaps[0]?.count ?? 0,
        usageDays: usage.days.length,
      },
      sameAsRaw,
    };
  } finally {
    await database.close();
  }
}
