// Usage and quality over time from the query log: per day, collection and key, with latency percentiles and citations.
import { queryRows } from "@lore/db";
import { type SQL, sql } from "drizzle-orm";
import type { LoreContext } from "../context";
import { reportTransaction } from "./report-transaction";
import {
  LATENCY_STAGES,
  type UsageDay,
  UsageRequest,
  type UsageResponse,
  windowStart,
} from "./schemas";

const TOP_CITED = 20;
const NEVER_CITED = 100;

type StageColumns = {
  [Stage in (typeof LATENCY_STAGES)[number] as `${Stage}_p50` | `${Stage}_p95`]: number | null;
};

interface UsageRow extends StageColumns {
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

interface CitationRow {
  kind: "top" | "never";
  collection: string;
  source: string;
  citations: number;
}

/** The stage names are Lore's own constants, never input: safe to write into the SQL. */
function percentiles(stage: (typeof LATENCY_STAGES)[number]): SQL {
  const value = `(q.timings->>'${stage}')::float8`;
  return sql.raw(
    `percentile_cont(0.5) WITHIN GROUP (ORDER BY ${value}) AS "${stage}_p50", ` +
      `percentile_cont(0.95) WITHIN GROUP (ORDER BY ${value}) AS "${stage}_p95"`,
  );
}

/**
 * The UTC day as a date: the rows are sorted into groups by it, and dates compare as integers
 * where the formatted text compared by collation.
 */
const UTC_DAY = sql.raw(`(q.created_at AT TIME ZONE 'UTC')::date`);

const round = (value: number | null) => (value === null ? null : Math.round(value * 10) / 10);

function counts(row: UsageRow): Omit<UsageDay, "day" | "collection" | "key"> {
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
      embedMs: { p50: round(row.embedMs_p50), p95: round(row.embedMs_p95) },
      retrieveMs: { p50: round(row.retrieveMs_p50), p95: round(row.retrieveMs_p95) },
      generateMs: { p50: round(row.generateMs_p50), p95: round(row.generateMs_p95) },
      totalMs: { p50: round(row.totalMs_p50), p95: round(row.totalMs_p95) },
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
  embedMs_p50: null,
  embedMs_p95: null,
  retrieveMs_p50: null,
  retrieveMs_p95: null,
  generateMs_p50: null,
  generateMs_p95: null,
  totalMs_p50: null,
  totalMs_p95: null,
};

/**
 * Questions, outcomes, votes, tokens, cost and stage latency per UTC day, collection and key, plus
 * the window's totals and its most and never cited documents. `visible` (a collection-limited
 * key's collections) narrows everything to those; null: all.
 */
export async function insightsUsage(
  context: Pick<LoreContext, "db">,
  input: UsageRequest,
  visible: readonly string[] | null = null,
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
  const window = sql`q.created_at >= ${since.toISOString()} AND ${inCollections(sql.raw("q.collection"))}`;
  const { rows, citations } = await reportTransaction(context.db, async (transaction) => ({
    rows: await queryRows<UsageRow>(
      transaction,
      sql`SELECT to_char(${UTC_DAY}::timestamp, 'YYYY-MM-DD') AS day, q.collection,
          coalesce(k.name, '(no key)') AS key,
          count(*)::int AS questions,
          count(*) FILTER (WHERE NOT q.abstained AND q.mode <> 'extractive-fallback')::int AS answered,
          count(*) FILTER (WHERE q.abstained)::int AS refused,
          count(*) FILTER (WHERE q.mode = 'extractive-fallback' AND NOT q.abstained)::int AS fallback,
          coalesce(sum(f.up), 0)::int AS thumbs_up, coalesce(sum(f.down), 0)::int AS thumbs_down,
          coalesce(sum(q.prompt_tokens), 0)::int AS prompt_tokens,
          coalesce(sum(q.completion_tokens), 0)::int AS completion_tokens,
          coalesce(sum(q.cost_usd), 0)::float8 AS cost_usd,
          ${sql.join(LATENCY_STAGES.map(percentiles), sql`, `)},
          GROUPING(q.collection) AS total
        FROM queries q
        LEFT JOIN api_keys k ON k.id = q.key_id
        LEFT JOIN (
          SELECT query_id, count(*) FILTER (WHERE rating = 'up') AS up,
            count(*) FILTER (WHERE rating = 'down') AS down
          FROM feedback GROUP BY query_id
        ) f ON f.query_id = q.id
        WHERE ${window}
        GROUP BY GROUPING SETS ((${UTC_DAY}, q.collection, coalesce(k.name, '(no key)')), ())
        ORDER BY total, day, collection, key`,
    ),
    citations: await queryRows<CitationRow>(
      transaction,
      sql`WITH cited AS (
          SELECT q.collection, c.value->>'source' AS source, count(*)::int AS citations
          FROM queries q CROSS JOIN LATERAL jsonb_array_elements(q.citations) AS c(value)
          WHERE ${window} AND jsonb_array_length(q.citations) > 0
          GROUP BY 1, 2
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
  }));
  const days = rows.filter((row) => Number(row.total) === 0);
  const totals = rows.find((row) => Number(row.total) === 1) ?? EMPTY_ROW;
  return {
    since: since.toISOString(),
    collections: [...new Set(days.map((row) => row.collection ?? ""))].sort(),
    totals: counts(totals),
    days: days.map((row) => ({
      day: row.day ?? "",
      collection: row.collection ?? "",
      key: row.key ?? "",
      ...counts(row),
    })),
    topCited: citations
      .filter((row) => row.kind === "top")
      .map(({ collection, source, citations: cited }) => ({
        collection,
        source,
        citations: cited,
      })),
    neverCited: citations
      .filter((row) => row.kind === "never")
      .map(({ collection, source }) => ({ collection, source })),
  };
}
