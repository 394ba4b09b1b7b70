// Usage and quality over time from the query log: per day, collection and key, with latency percentiles and citations.
import { queryRows } from "@lore/db";
import { type SQL, sql } from "drizzle-orm";
import type { LoreContext } from "../context";
import { addToHistogram, type Histogram, histogramPercentile } from "./latency-histogram";
import { rollupWindow, windowRows } from "./rollup-window";
import {
  type LATENCY_STAGES,
  type UsageDay,
  UsageRequest,
  type UsageResponse,
  windowStart,
} from "./schemas";

const TOP_CITED = 20;
const NEVER_CITED = 100;

type Stage = (typeof LATENCY_STAGES)[number];

interface UsageRow {
  day: string | null;
  collection: string | null;
  key: string | null;
  questions: number;
  answered: number;
  refused: number;
  fallback: number;
  thumbs_up: number;
  thumbs_down: number;
  prompt_tokens: number;
  completion_tokens: number;
  cost_usd: number;
  /** 1 on the grand-total row of the grouping sets. */
  total: number;
}

interface LatencyRow {
  day: string | null;
  collection: string | null;
  key: string | null;
  stage: Stage;
  bucket: number;
  count: number;
  sum_ms: number;
}

interface CitationRow {
  kind: "top" | "never";
  collection: string;
  source: string;
  citations: number;
}

const round = (value: number | null) => (value === null ? null : Math.round(value * 10) / 10);

/** A report row's stage histograms, summed over the days and keys it covers. */
type StageHistograms = Partial<Record<Stage, Histogram>>;

const rowKey = (row: { day: string | null; collection: string | null; key: string | null }) =>
  `${row.day}\n${row.collection}\n${row.key}`;

function percentiles(histograms: StageHistograms | undefined, stage: Stage) {
  const histogram = histograms?.[stage] ?? new Map();
  return {
    p50: round(histogramPercentile(histogram, 0.5)),
    p95: round(histogramPercentile(histogram, 0.95)),
  };
}

function counts(
  row: UsageRow,
  histograms: StageHistograms | undefined,
): Omit<UsageDay, "day" | "collection" | "key"> {
  const votes = row.thumbs_up + row.thumbs_down;
  return {
    questions: row.questions,
    answered: row.answered,
    refused: row.refused,
    fallback: row.fallback,
    thumbsUp: row.thumbs_up,
    thumbsDown: row.thumbs_down,
    thumbsUpRate: votes === 0 ? null : row.thumbs_up / votes,
    promptTokens: row.prompt_tokens,
    completionTokens: row.completion_tokens,
    costUsd: row.cost_usd,
    latency: {
      embedMs: percentiles(histograms, "embedMs"),
      retrieveMs: percentiles(histograms, "retrieveMs"),
      generateMs: percentiles(histograms, "generateMs"),
      totalMs: percentiles(histograms, "totalMs"),
    },
  };
}

const EMPTY_ROW: UsageRow = {
  day: null,
  collection: null,
  key: null,
  questions: 0,
  answered: 0,
  refused: 0,
  fallback: 0,
  thumbs_up: 0,
  thumbs_down: 0,
  prompt_tokens: 0,
  completion_tokens: 0,
  cost_usd: 0,
  total: 1,
};

/**
 * Questions, outcomes, votes, tokens, cost and stage latency per UTC day, collection and key, plus
 * the window's totals and its most and never cited documents. `visible` (a collection-limited
 * key's collections) narrows everything to those; null: all. Read from the rollups of migration
 * 0011 (see rollupWindow; `rawUntil` is a test's); the latency percentiles come from 10 %
 * histogram buckets (see histogramPercentile), within 10 % of the exact value.
 */
export async function insightsUsage(
  context: Pick<LoreContext, "db">,
  input: UsageRequest,
  visible: readonly string[] | null = null,
  rawUntil?: Date,
): Promise<UsageResponse> {
  const request = UsageRequest.parse(input);
  const since = windowStart(request.since);
  let names: readonly string[] | null = visible;
  if (request.collection) {
    names = names && !names.includes(request.collection) ? [] : [request.collection];
  }
  const inCollections = (column: SQL) =>
    names === null
      ? sql`TRUE`
      : names.length === 0
        ? sql`FALSE`
        : sql`${column} IN (${sql.join(
            names.map((name) => sql`${name}`),
            sql`, `,
          )})`;
  const window = rollupWindow(since, rawUntil);
  const where = (alias: string) => inCollections(sql.raw(`${alias}.collection`));
  const usage = windowRows(
    window,
    {
      table: "insight_usage_rollups",
      fn: "lore_insight_usage",
      byDay: true,
      columns:
        "day, collection, key_id, questions, answered, refused, fallback, thumbs_up, thumbs_down, prompt_tokens, completion_tokens, cost_usd",
    },
    where,
  );
  const latency = windowRows(
    window,
    {
      table: "insight_latency_rollups",
      fn: "lore_insight_latency",
      byDay: true,
      columns: "day, collection, key_id, stage, bucket, count, sum_ms",
    },
    where,
  );
  const cited = windowRows(
    window,
    {
      table: "insight_citation_rollups",
      fn: "lore_insight_citations",
      columns: "collection, source_hash, source, citations",
    },
    where,
  );
  const keyName = sql.raw(`coalesce(k.name, '(no key)')`);
  // Small reads over the rollups, independent: side by side on the pool.
  const [rows, latencies, citations] = await Promise.all([
    queryRows<UsageRow>(
      context.db,
      sql`SELECT to_char(d.day, 'YYYY-MM-DD') AS day, d.collection, ${keyName} AS key,
            coalesce(sum(d.questions), 0)::int AS questions,
            coalesce(sum(d.answered), 0)::int AS answered,
            coalesce(sum(d.refused), 0)::int AS refused,
            coalesce(sum(d.fallback), 0)::int AS fallback,
            coalesce(sum(d.thumbs_up), 0)::int AS thumbs_up,
            coalesce(sum(d.thumbs_down), 0)::int AS thumbs_down,
            coalesce(sum(d.prompt_tokens), 0)::int AS prompt_tokens,
            coalesce(sum(d.completion_tokens), 0)::int AS completion_tokens,
            coalesce(sum(d.cost_usd), 0)::float8 AS cost_usd,
            GROUPING(d.collection) AS total
          FROM ${usage} AS d LEFT JOIN api_keys k ON k.id = d.key_id
          GROUP BY GROUPING SETS ((d.day, d.collection, ${keyName}), ())
          ORDER BY total, day, collection, key`,
    ),
    queryRows<LatencyRow>(
      context.db,
      sql`SELECT to_char(l.day, 'YYYY-MM-DD') AS day, l.collection, ${keyName} AS key,
            l.stage, l.bucket, sum(l.count)::int AS count, sum(l.sum_ms)::float8 AS sum_ms
          FROM ${latency} AS l LEFT JOIN api_keys k ON k.id = l.key_id
          GROUP BY l.day, l.collection, ${keyName}, l.stage, l.bucket`,
    ),
    queryRows<CitationRow>(
      context.db,
      sql`WITH cited AS (
            SELECT c.collection, min(c.source) AS source, sum(c.citations)::int AS citations
            FROM ${cited} AS c GROUP BY c.collection, c.source_hash HAVING sum(c.citations) > 0
          )
          (SELECT 'top' AS kind, collection, source, citations FROM cited
            ORDER BY citations DESC, collection, source LIMIT ${TOP_CITED})
          UNION ALL
          (SELECT 'never' AS kind, col.name AS collection, d.source, 0 AS citations
            FROM documents d JOIN collections col ON col.id = d.collection_id
            LEFT JOIN cited ON cited.collection = col.name AND cited.source = d.source
            WHERE cited.source IS NULL AND ${inCollections(sql.raw("col.name"))}
            ORDER BY col.name, d.source LIMIT ${NEVER_CITED})`,
    ),
  ]);
  // Each row's buckets count for its day and for the window's totals (key "").
  const histograms = new Map<string, StageHistograms>();
  for (const row of latencies) {
    for (const key of [rowKey(row), ""]) {
      const byStage = histograms.get(key) ?? {};
      const histogram = byStage[row.stage] ?? new Map();
      addToHistogram(histogram, Number(row.bucket), Number(row.count), Number(row.sum_ms));
      byStage[row.stage] = histogram;
      histograms.set(key, byStage);
    }
  }
  const days = rows.filter((row) => Number(row.total) === 0);
  const totals = rows.find((row) => Number(row.total) === 1) ?? EMPTY_ROW;
  return {
    since: since.toISOString(),
    collections: [...new Set(days.map((row) => row.collection ?? ""))].sort(),
    totals: counts(totals, histograms.get("")),
    days: days.map((row) => ({
      day: row.day ?? "",
      collection: row.collection ?? "",
      key: row.key ?? "",
      ...counts(row, histograms.get(rowKey(row))),
    })),
    topCited: citations
      .filter((row) => row.kind === "top")
      .map(({ collection, source, citations: count }) => ({
        collection,
        source,
        citations: count,
      })),
    neverCited: citations
      .filter((row) => row.kind === "never")
      .map(({ collection, source }) => ({ collection, source })),
  };
}
