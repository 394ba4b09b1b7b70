// Documentation gaps: questions refused, answered by the fallback, or voted down, grouped by meaning per collection.
import { createHash } from "node:crypto";
import { insightGapResolutions, queryRows } from "@lore/db";
import type { Embedder } from "@lore/providers";
import { sql } from "drizzle-orm";
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
import { rollupWindow, windowRows } from "./rollup-window";
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

interface QuestionRow {
  text: string;
  hash: string;
  asked: number;
  refused: number;
  fallback: number;
  thumbs_down: number;
  last_asked: Date | string;
}

interface CitedRow {
  hash: string;
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
  /** The members' normalised texts: their hashes match resolutions (computed only then). */
  texts: string[];
  lastFailedAt: Date;
}

async function groupFailedQuestions(
  context: LoreContext,
  collection: string,
  since: Date,
  rawUntil?: Date,
): Promise<{ groups: GroupedGap[]; failedAsks: number; distinct: number }> {
  const window = rollupWindow(since, rawUntil);
  const where = (alias: string) => sql`${sql.raw(alias)}.collection = ${collection}`;
  const questionRows = windowRows(
    window,
    {
      table: "insight_gap_question_rollups",
      fn: "lore_insight_gap_questions",
      columns: "question_hash, question, asked, refused, fallback, thumbs_down, last_asked",
    },
    where,
  );
  const citedRows = windowRows(
    window,
    {
      table: "insight_gap_citation_rollups",
      fn: "lore_insight_gap_citations",
      columns: "question_hash, source_hash, source, count",
    },
    where,
  );
  // Small reads over the rollups, independent: side by side on the pool.
  const [questions, cited] = await Promise.all([
    queryRows<QuestionRow>(
      context.db,
      sql`SELECT min(g.question) AS text, g.question_hash AS hash, sum(g.asked)::int AS asked,
          sum(g.refused)::int AS refused, sum(g.fallback)::int AS fallback,
          sum(g.thumbs_down)::int AS thumbs_down, max(g.last_asked) AS last_asked
        FROM ${questionRows} AS g
        GROUP BY g.question_hash HAVING sum(g.asked) > 0
        ORDER BY asked DESC, text LIMIT ${MAX_GAP_QUESTIONS}`,
    ),
    queryRows<CitedRow>(
      context.db,
      sql`SELECT c.question_hash AS hash, min(c.source) AS source, sum(c.count)::int AS count
        FROM ${citedRows} AS c
        GROUP BY c.question_hash, c.source_hash HAVING sum(c.count) > 0`,
    ),
  ]);
  if (questions.length === 0) return { groups: [], failedAsks: 0, distinct: 0 };
  const citedByHash = new Map<string, CitedRow[]>();
  for (const row of cited) {
    const list = citedByHash.get(row.hash) ?? [];
    list.push(row);
    citedByHash.set(row.hash, list);
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
    for (const row of rows) {
      for (const cited of citedByHash.get(row.hash) ?? []) {
        sources.set(cited.source, (sources.get(cited.source) ?? 0) + cited.count);
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
      texts: members.map((member) => member.text),
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
  const hashes = new Set(group.texts.map(questionHash));
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

/** Nearest sources by documents version, embedder, collection and question. */
const NEAREST_SOURCES = cacheKey<Map<string, string[]>>("insight nearest sources");
const MAX_CACHED_SEARCHES = 5000;

/**
 * Changes whenever a document of the collection is written or deleted: the number of documents
 * and the latest write. The searches for the closest documents are kept until it changes.
 */
async function documentsVersion(context: LoreContext, collection: string): Promise<string> {
  const [row] = await queryRows<{ documents: number; written: Date | string | null }>(
    context.db,
    sql`SELECT count(*)::int AS documents, max(d.updated_at) AS written
        FROM documents d JOIN collections c ON c.id = d.collection_id WHERE c.name = ${collection}`,
  );
  return `${row?.documents ?? 0}@${row?.written ? toDate(row.written).toISOString() : "-"}`;
}

async function nearestSources(
  context: LoreContext,
  collection: string,
  question: string,
  version: string,
): Promise<string[]> {
  const cache = contextCaches(context).get(NEAREST_SOURCES, () => new Map());
  const embedder = context.queryEmbedder ?? context.embedder;
  const key = `${version}\n${embedder.id}\n${collection}\n${question}`;
  const cached = cache.get(key);
  if (cached) return cached;
  try {
    const { chunks } = await retrieve(context, {
      query: question,
      collection,
      topK: RETRIEVED_PER_GAP,
    });
    const sources = [...new Set(chunks.map((chunk) => chunk.source))];
    if (cache.size >= MAX_CACHED_SEARCHES) cache.clear();
    cache.set(key, sources);
    return sources;
  } catch (error) {
    // A dropped collection or another embedder still has its log: show the gaps without this.
    if (error instanceof LoreError) return [];
    throw error;
  }
}

/**
 * Failed questions of one collection grouped by meaning, open gaps first, most asked first. Read
 * from the rollups of migration 0011 (see rollupWindow; `rawUntil` is a test's).
 */
export async function listGaps(
  context: LoreContext,
  input: GapsRequest,
  rawUntil?: Date,
): Promise<GapsResponse> {
  const request = GapsRequest.parse(input);
  const since = windowStart(request.since);
  // Independent reads: side by side on the pool.
  const [{ groups, failedAsks, distinct }, resolutions, version] = await Promise.all([
    groupFailedQuestions(context, request.collection, since, rawUntil),
    queryRows<ResolutionRow>(
      context.db,
      sql`SELECT id, question_hashes, resolved_at FROM insight_gap_resolutions
          WHERE collection = ${request.collection} ORDER BY resolved_at DESC`,
    ),
    documentsVersion(context, request.collection),
  ]);
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
      const { texts: _texts, lastFailedAt: _lastFailedAt, ...shown } = group;
      return {
        ...shown,
        retrieved: await nearestSources(context, request.collection, group.representative, version),
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
    questionHashes: group.texts.map(questionHash),
    resolvedAt,
    resolvedBy: input.keyId ?? null,
  });
  return { id, resolvedAt: resolvedAt.toISOString() };
}
