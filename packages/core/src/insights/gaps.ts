// Documentation gaps: questions refused, answered by the fallback, or voted down, grouped by meaning per collection.
import { createHash } from "node:crypto";
import { insightGapResolutions, queryRows } from "@lore/db";
import type { Embedder } from "@lore/providers";
import { type SQL, sql } from "drizzle-orm";
import { cacheKey } from "../caches";
import { contextCaches, type LoreContext } from "../context";
import { LoreError } from "../errors";
import { newId } from "../ids";
import { retrieve } from "../retrieval/search";
import {
  clusterQuestions,
  LOCAL_CLUSTER_THRESHOLD,
  type QuestionItem,
  SEMANTIC_CLUSTER_THRESHOLD,
} from "./cluster-questions";
import { reportTransaction } from "./report-transaction";
import {
  type Gap,
  GapsRequest,
  type GapsResponse,
  ResolveGapRequest,
  windowStart,
} from "./schemas";

/**
 * Distinct failed questions clustered per call, most asked first: clustering is quadratic in the
 * worst case, and a question asked once among this many is no one's first gap to fix.
 */
export const MAX_GAP_QUESTIONS = 2000;
const RETRIEVED_PER_GAP = 5;
const QUESTIONS_PER_GAP = 10;

/** Case and spacing do not make a different question. */
const NORMALISED = sql.raw(`lower(regexp_replace(btrim(q.question), '\\s+', ' ', 'g'))`);
/** Matches the predicate of the partial index queries_failed_collection_created_idx (0010). */
const FAILED_OUTCOME = sql.raw(`(q.abstained OR q.mode = 'extractive-fallback')`);

/**
 * The window's failed asks: refused or fallback rows through their partial index, plus the other
 * rows voted down, found by id, so the window's answered asks are never read. The two halves are
 * disjoint: no ask is counted twice.
 */
function failedAsks(window: SQL): SQL {
  const columns = sql.raw("q.id, q.question, q.abstained, q.mode, q.citations, q.created_at");
  return sql`(SELECT ${columns} FROM queries q WHERE ${window} AND ${FAILED_OUTCOME}
    UNION ALL
    SELECT ${columns} FROM queries q WHERE ${window} AND NOT ${FAILED_OUTCOME}
      AND q.id = ANY (ARRAY(SELECT f.query_id FROM feedback f WHERE f.rating = 'down')))`;
}

interface QuestionRow {
  text: string;
  asked: number;
  refused: number;
  fallback: number;
  thumbs_down: number;
  last_asked: Date | string;
}

interface CitedRow {
  text: string;
  source: string;
  count: number;
}

interface ResolutionRow {
  id: string;
  question_hashes: string[];
  resolved_at: Date | string;
}

export function questionHash(normalised: string): string {
  return createHash("sha256").update(normalised).digest("hex");
}

function gapId(collection: string, representative: string): string {
  return `gap_${createHash("sha256").update(`${collection}\n${representative}`).digest("base64url").slice(0, 16)}`;
}

const toDate = (value: Date | string): Date => (value instanceof Date ? value : new Date(value));

// Failed questions repeat; the embedder (a paid API, maybe) sees each text once per context.
const MAX_CACHED_EMBEDDINGS = 50_000;
/** Question vectors by embedder id and text: a context's copies may carry other embedders. */
const QUESTION_VECTORS = cacheKey<Map<string, number[]>>("insight question vectors");

async function embedQuestions(
  context: Pick<LoreContext, "caches">,
  embedder: Embedder,
  texts: readonly string[],
): Promise<number[][]> {
  const cache = contextCaches(context).get(QUESTION_VECTORS, () => new Map());
  const keyOf = (text: string) => `${embedder.id}\n${text}`;
  // Emptied before, never during, a call: every text asked for here keeps its vector.
  if (cache.size + texts.length > MAX_CACHED_EMBEDDINGS) cache.clear();
  const missing = [...new Set(texts.filter((text) => !cache.has(keyOf(text))))];
  for (let start = 0; start < missing.length; start += embedder.maxBatch) {
    const batch = missing.slice(start, start + embedder.maxBatch);
    const vectors = await embedder.embed(batch);
    batch.forEach((text, index) => {
      const vector = vectors[index];
      if (vector) cache.set(keyOf(text), vector);
    });
  }
  return texts.map((text) => cache.get(keyOf(text)) ?? []);
}

/** The collection's latest document write after `after`, or null: a later ingest reopens gaps. */
async function firstWriteAfter(
  context: LoreContext,
  collection: string,
  after: Date,
): Promise<Date | null> {
  const [row] = await queryRows<{ at: Date | string | null }>(
    context.db,
    sql`SELECT min(d.updated_at) AS at FROM documents d JOIN collections c ON c.id = d.collection_id
        WHERE c.name = ${collection} AND d.updated_at > ${after.toISOString()}`,
  );
  return row?.at ? toDate(row.at) : null;
}

interface GroupedGap extends Omit<Gap, "status" | "resolvedAt" | "retrieved"> {
  hashes: string[];
  lastFailedAt: Date;
}

async function groupFailedQuestions(
  context: LoreContext,
  collection: string,
  since: Date,
): Promise<{ groups: GroupedGap[]; failedAsks: number; distinct: number }> {
  const window = sql`q.collection = ${collection} AND q.created_at >= ${since.toISOString()}`;
  const failed = failedAsks(window);
  const { questions, cited } = await reportTransaction(context.db, async (transaction) => ({
    // Counted per exact text first, then normalised: the regexp runs once per distinct text,
    // not once per ask.
    questions: await queryRows<QuestionRow>(
      transaction,
      sql`SELECT ${NORMALISED} AS text, sum(q.asked)::int AS asked, sum(q.refused)::int AS refused,
          sum(q.fallback)::int AS fallback, sum(q.thumbs_down)::int AS thumbs_down,
          max(q.last_asked) AS last_asked
        FROM (SELECT q.question, count(*) AS asked,
            count(*) FILTER (WHERE q.abstained) AS refused,
            count(*) FILTER (WHERE q.mode = 'extractive-fallback' AND NOT q.abstained) AS fallback,
            count(*) FILTER (WHERE EXISTS (SELECT 1 FROM feedback f WHERE f.query_id = q.id AND f.rating = 'down')) AS thumbs_down,
            max(q.created_at) AS last_asked
          FROM ${failed} AS q GROUP BY q.question) AS q
        GROUP BY 1 ORDER BY asked DESC, text LIMIT ${MAX_GAP_QUESTIONS}`,
    ),
    cited: await queryRows<CitedRow>(
      transaction,
      sql`SELECT ${NORMALISED} AS text, q.source, sum(q.count)::int AS count
        FROM (SELECT q.question, c.value->>'source' AS source, count(*) AS count
          FROM ${failed} AS q CROSS JOIN LATERAL jsonb_array_elements(q.citations) AS c(value)
          WHERE jsonb_array_length(q.citations) > 0
          GROUP BY 1, 2) AS q
        GROUP BY 1, 2`,
    ),
  }));
  if (questions.length === 0) return { groups: [], failedAsks: 0, distinct: 0 };
  const citedByText = new Map<string, CitedRow[]>();
  for (const row of cited) {
    if (!row.source) continue;
    const list = citedByText.get(row.text) ?? [];
    list.push(row);
    citedByText.set(row.text, list);
  }
  const embedder = context.queryEmbedder ?? context.embedder;
  const vectors = await embedQuestions(
    context,
    embedder,
    questions.map((row) => row.text),
  );
  const rowByText = new Map(questions.map((row) => [row.text, row]));
  const items: QuestionItem[] = questions.map((row, index) => ({
    text: row.text,
    count: row.asked,
    embedding: vectors[index] ?? [],
  }));
  const threshold = embedder.id.startsWith("local:")
    ? LOCAL_CLUSTER_THRESHOLD
    : SEMANTIC_CLUSTER_THRESHOLD;
  const groups = clusterQuestions(items, threshold).map((members): GroupedGap => {
    const rows = members.map((member) => rowByText.get(member.text) as QuestionRow);
    const sum = (pick: (row: QuestionRow) => number) =>
      rows.reduce((total, row) => total + pick(row), 0);
    const lastFailedAt = new Date(Math.max(...rows.map((row) => toDate(row.last_asked).getTime())));
    const sources = new Map<string, number>();
    for (const member of members) {
      for (const row of citedByText.get(member.text) ?? []) {
        sources.set(row.source, (sources.get(row.source) ?? 0) + row.count);
      }
    }
    const representative = members[0]?.text ?? "";
    return {
      id: gapId(collection, representative),
      representative,
      questions: members
        .slice(0, QUESTIONS_PER_GAP)
        .map((member) => ({ question: member.text, count: member.count })),
      count: sum((row) => row.asked),
      refused: sum((row) => row.refused),
      fallback: sum((row) => row.fallback),
      thumbsDown: sum((row) => row.thumbs_down),
      lastAsked: lastFailedAt.toISOString(),
      cited: [...sources]
        .map(([source, count]) => ({ source, count }))
        .sort((a, b) => b.count - a.count || a.source.localeCompare(b.source)),
      hashes: members.map((member) => questionHash(member.text)),
      lastFailedAt,
    };
  });
  return {
    groups,
    failedAsks: groups.reduce((total, group) => total + group.count, 0),
    distinct: questions.length,
  };
}

/**
 * A resolved gap reopens when one of its questions failed again after the first document write
 * that followed the resolution: the new page was in, and still did not answer it. Failures
 * between the resolution and that write are expected (the page was not ingested yet).
 */
async function resolutionStatus(
  context: LoreContext,
  collection: string,
  group: GroupedGap,
  resolutions: readonly ResolutionRow[],
  /** First document write after each resolution, looked up once per listing. */
  writes: Map<string, Date | null>,
): Promise<{ status: Gap["status"]; resolvedAt: string | null }> {
  const hashes = new Set(group.hashes);
  const resolution = resolutions.find((row) =>
    row.question_hashes.some((hash) => hashes.has(hash)),
  );
  if (!resolution) return { status: "open", resolvedAt: null };
  const resolvedAt = toDate(resolution.resolved_at);
  let written = writes.get(resolution.id);
  if (written === undefined) {
    written = await firstWriteAfter(context, collection, resolvedAt);
    writes.set(resolution.id, written);
  }
  if (written && group.lastFailedAt > written) return { status: "open", resolvedAt: null };
  return { status: "resolved", resolvedAt: resolvedAt.toISOString() };
}

async function nearestSources(
  context: LoreContext,
  collection: string,
  question: string,
): Promise<string[]> {
  try {
    const { chunks } = await retrieve(context, {
      query: question,
      collection,
      topK: RETRIEVED_PER_GAP,
    });
    return [...new Set(chunks.map((chunk) => chunk.source))];
  } catch (error) {
    // A dropped collection or another embedder still has its log: show the gaps without this.
    if (error instanceof LoreError) return [];
    throw error;
  }
}

/** Failed questions of one collection grouped by meaning, open gaps first, most asked first. */
export async function listGaps(context: LoreContext, input: GapsRequest): Promise<GapsResponse> {
  const request = GapsRequest.parse(input);
  const since = windowStart(request.since);
  const { groups, failedAsks, distinct } = await groupFailedQuestions(
    context,
    request.collection,
    since,
  );
  const resolutions = await queryRows<ResolutionRow>(
    context.db,
    sql`SELECT id, question_hashes, resolved_at FROM insight_gap_resolutions
        WHERE collection = ${request.collection} ORDER BY resolved_at DESC`,
  );
  const writes = new Map<string, Date | null>();
  const withStatus: { group: GroupedGap; status: Gap["status"]; resolvedAt: string | null }[] = [];
  for (const group of groups) {
    withStatus.push({
      group,
      ...(resolutions.length > 0
        ? await resolutionStatus(context, request.collection, group, resolutions, writes)
        : { status: "open" as const, resolvedAt: null }),
    });
  }
  const ranked = [
    ...withStatus.filter((entry) => entry.status === "open"),
    ...withStatus.filter((entry) => entry.status === "resolved"),
  ].slice(0, request.limit);
  // The shown gaps' searches are independent: run them side by side on the pool.
  const gaps: Gap[] = await Promise.all(
    ranked.map(async ({ group, status, resolvedAt }) => {
      const { hashes: _hashes, lastFailedAt: _lastFailedAt, ...shown } = group;
      return {
        ...shown,
        retrieved: await nearestSources(context, request.collection, group.representative),
        status,
        resolvedAt,
      };
    }),
  );
  return {
    collection: request.collection,
    since: since.toISOString(),
    failedAsks,
    distinctQuestions: distinct,
    gaps,
  };
}

/** Marks a gap resolved (its page was written); it reopens if it fails again after a later ingest. */
export async function resolveGap(
  context: LoreContext,
  input: ResolveGapRequest & { keyId?: string | null },
): Promise<{ id: string; resolvedAt: string }> {
  const request = ResolveGapRequest.parse({
    collection: input.collection,
    gapId: input.gapId,
    ...(input.since ? { since: input.since } : {}),
  });
  const { groups } = await groupFailedQuestions(
    context,
    request.collection,
    windowStart(request.since),
  );
  const group = groups.find((candidate) => candidate.id === request.gapId);
  if (!group) {
    throw new LoreError(
      "not_found",
      `No gap "${request.gapId}" in collection "${request.collection}" in this window.`,
    );
  }
  const resolvedAt = new Date();
  const id = newId("res");
  await context.db.insert(insightGapResolutions).values({
    id,
    collection: request.collection,
    representative: group.representative,
    questionHashes: group.hashes,
    resolvedAt,
    resolvedBy: input.keyId ?? null,
  });
  return { id, resolvedAt: resolvedAt.toISOString() };
}
