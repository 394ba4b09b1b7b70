// `bench text`: the full-text half's latency and its agreement with exact BM25 at each candidate budget, on an existing collection.
import { readFile } from "node:fs/promises";
import { hybridSearch, type LoreContext, requireCollection } from "@lore/core";
import { openDatabase, queryRows } from "@lore/db";
import { createLocalEmbedder } from "@lore/providers";
import { sql } from "drizzle-orm";
import { describeMachine, type Machine } from "./machine";
import { latencySummary, progress, round } from "./stats";

export interface TextBenchOptions {
  databaseUrl: string;
  collection: string;
  dimensions: number;
  /** Candidate budgets to measure; the exact ranking is the one without a budget. */
  budgets: number[];
  /** How many of a budget's candidates exact BM25 scores (textRescore), each measured per budget. */
  rescores: number[];
  queries: readonly string[];
}

export interface TextBudgetPoint {
  /** null: unbounded, every chunk matching any query term (exact Okapi BM25). */
  budget: number | null;
  /** null: every candidate of the budget scored exactly. */
  rescore: number | null;
  latencyMs: { p50: number; p95: number; p99: number };
  /** Share of the exact top 10 (and top 40) that this budget's ranking also has in its top 10 (40). */
  overlapAt10: number;
  overlapAt40: number;
}

export interface TextBenchResult {
  benchmark: "text";
  machine: Machine;
  loadAverage: string;
  chunks: number;
  queries: number;
  /** Chunks matching any term of a query, the unbounded candidate set: p50 / max over queries. */
  matchingChunks: { p50: number; max: number };
  points: TextBudgetPoint[];
}

const TOP = 40;

export async function benchText(options: TextBenchOptions): Promise<TextBenchResult> {
  const database = await openDatabase({ kind: "postgres", url: options.databaseUrl, poolSize: 1 });
  try {
    const embedder = createLocalEmbedder({ dimensions: options.dimensions });
    const context: LoreContext = { db: database.db, embedder };
    const collection = await requireCollection(context, options.collection);
    const vectors = await embedder.embed([...options.queries]);
    const ranking = async (
      query: string,
      vector: readonly number[],
      budget: number,
      rescore: number,
    ) => {
      const started = performance.now();
      const results = await hybridSearch(context, collection, query, vector, {
        topK: TOP,
        candidates: TOP,
        vectorWeight: 0,
        textWeight: 1,
        textCandidateBudget: budget,
        textRescore: rescore,
      });
      const ms = performance.now() - started;
      const ids = results
        .filter((result) => result.textRank !== null)
        .sort((left, right) => (left.textRank ?? 0) - (right.textRank ?? 0))
        .map((result) => result.chunkId);
      return { ids, ms };
    };
    const exact: string[][] = [];
    const points: TextBudgetPoint[] = [];
    const unbounded = Number.MAX_SAFE_INTEGER;
    const settings = [
      { budget: unbounded, rescore: unbounded },
      ...options.budgets.flatMap((budget) =>
        options.rescores.map((rescore) => ({ budget, rescore })),
      ),
    ];
    for (const { budget, rescore } of settings) {
      const ms: number[] = [];
      let at10 = 0;
      let at40 = 0;
      for (const [index, query] of options.queries.entries()) {
        const { ids, ms: took } = await ranking(query, vectors[index] ?? [], budget, rescore);
        ms.push(took);
        if (budget === unbounded) exact.push(ids);
        const truth = exact[index] ?? [];
        at10 += overlap(truth.slice(0, 10), ids.slice(0, 10));
        at40 += overlap(truth, ids);
      }
      const point: TextBudgetPoint = {
        budget: budget === unbounded ? null : budget,
        rescore: rescore === unbounded ? null : rescore,
        latencyMs: latencySummary(ms),
        overlapAt10: round(at10 / options.queries.length, 3),
        overlapAt40: round(at40 / options.queries.length, 3),
      };
      progress(JSON.stringify(point));
      points.push(point);
    }
    const matching: number[] = [];
    for (const query of options.queries) {
      const [row] = await queryRows<{ count: number }>(
        database.db,
        sql`SELECT count(*)::int AS count FROM chunks
            WHERE collection_id = ${collection.id}
              AND search @@ replace(plainto_tsquery('english', ${query})::text, '&', '|')::tsquery`,
      );
      matching.push(row?.count ?? 0);
    }
    const [counted] = await queryRows<{ chunks: number }>(
      database.db,
      sql`SELECT coalesce(sum(chunks), 0)::int AS chunks FROM collection_statistics
          WHERE collection_id = ${collection.id}`,
    );
    return {
      benchmark: "text",
      machine: describeMachine(),
      loadAverage: (await readFile("/proc/loadavg", "utf8").catch(() => "")).trim(),
      chunks: counted?.chunks ?? 0,
      queries: options.queries.length,
      matchingChunks: {
        p50: latencySummary(matching).p50,
        max: Math.max(0, ...matching),
      },
      points,
    };
  } finally {
    await database.close();
  }
}

/** Share of `truth` found in `found` (1 when both are empty). */
function overlap(truth: readonly string[], found: readonly string[]): number {
  if (truth.length === 0) return found.length === 0 ? 1 : 0;
  const kept = new Set(found);
  return truth.filter((id) => kept.has(id)).length / truth.length;
}
