// Plan checks on the real Postgres: hybrid search's ANN half is an HNSW index scan that stops at its candidate count, and its full-text half scores only its rescored candidates, as a custom plan and as the prepared statement's generic one.
import { type Database, openDatabase, queryRows } from "@lore/db";
import {
  createRealTestDatabase,
  type RealTestDatabase,
  realPostgresSuite,
  realPostgresUrl,
} from "@lore/db/real-postgres";
import { createLocalEmbedder } from "@lore/providers";
import { type SQL, sql } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Collection, ensureCollection } from "../collections/collections";
import { hybridSearch, hybridSearchQuery, TEXT_RESCORE_PER_CANDIDATE } from "./hybrid-search";
import { DEFAULT_RETRIEVAL } from "./retrieval-settings";
import type { SearchFilters } from "./schemas";

const DIMENSIONS = 32;
const embedder = createLocalEmbedder({ dimensions: DIMENSIONS });

interface PlanNode {
  "Node Type": string;
  "Parent Relationship"?: string;
  "Index Name"?: string;
  "Plan Rows": number;
  "Actual Rows"?: number;
  "Actual Loops"?: number;
  Plans?: PlanNode[];
}

function* nodes(plan: PlanNode): Generator<PlanNode> {
  yield plan;
  for (const child of plan.Plans ?? []) yield* nodes(child);
}

/** Checks that the plan's ANN half is one HNSW scan that ran once and stopped at the candidates. */
function expectBoundedVectorScan(plan: PlanNode | undefined): void {
  expect(plan).toBeDefined();
  const all = plan ? [...nodes(plan)] : [];
  const limits = all.filter(
    (node) =>
      node["Node Type"] === "Limit" &&
      node.Plans?.[0]?.["Node Type"] === "Index Scan" &&
      node.Plans[0]["Index Name"] === `chunks_embedding_hnsw_${DIMENSIONS}`,
  );
  expect(limits, JSON.stringify(plan)).toHaveLength(1);
  const scan = limits[0]?.Plans?.[0];
  // Executed once, and it stopped at the LIMIT instead of feeding every row to a join.
  expect(scan?.["Actual Loops"]).toBe(1);
  expect(scan?.["Actual Rows"]).toBeLessThanOrEqual(DEFAULT_RETRIEVAL.candidates);
  expect(scan?.["Actual Rows"]).toBeGreaterThan(0);
  expect(limits[0]?.["Plan Rows"]).toBeLessThanOrEqual(DEFAULT_RETRIEVAL.candidates);
}

/**
 * Checks that the full-text half scores exactly (the per-row BM25 sub-plan over a candidate's
 * terms) no more than the rescore count; unfiltered, that it found them through the GIN index.
 */
function expectBoundedTextScoring(plan: PlanNode | undefined, filtered: boolean): void {
  const all = plan ? [...nodes(plan)] : [];
  const scoring = all.filter(
    (node) =>
      node["Parent Relationship"] === "SubPlan" &&
      node["Node Type"] === "Aggregate" &&
      node.Plans?.[0]?.["Node Type"] === "Function Scan",
  );
  expect(scoring, JSON.stringify(plan)).toHaveLength(1);
  if (filtered) {
    // A selective path or tag filter may lead with documents instead of the GIN index.
    expect(scoring[0]?.["Actual Loops"]).toBeGreaterThan(0);
    expect(scoring[0]?.["Actual Loops"]).toBeLessThanOrEqual(RESCORE);
    return;
  }
  const gin = all.filter(
    (node) =>
      node["Node Type"] === "Bitmap Index Scan" && node["Index Name"] === "chunks_search_idx",
  );
  expect(gin, JSON.stringify(plan)).toHaveLength(1);
  // Every chunk of these collections matches the question, more than the rescore count: that
  // many are scored, not all.
  expect(gin[0]?.["Actual Rows"]).toBeGreaterThan(RESCORE);
  expect(scoring[0]?.["Actual Loops"]).toBe(RESCORE);
}

const RESCORE = TEXT_RESCORE_PER_CANDIDATE * DEFAULT_RETRIEVAL.candidates;

/**
 * EXPLAIN ANALYZE of the statement prepared as hybridSearch prepares it, planned generically
 * (as Postgres may choose to after five runs): parameters are unknown to the planner then.
 */
async function explainGeneric(
  database: Database,
  query: SQL,
  vector: readonly number[],
): Promise<PlanNode | undefined> {
  const { sql: text, params } = new PgDialect().sqlToQuery(query);
  const pool = database.pool;
  if (!pool) throw new Error("not a Postgres pool");
  const client = await pool.connect();
  try {
    await client.query("SET plan_cache_mode = force_generic_plan");
    await client.query({ name: "hybrid_generic", text, values: params });
    // EXECUTE takes its arguments as SQL: the binary vector goes as its text form.
    const literal = (value: unknown): string =>
      Buffer.isBuffer(value)
        ? client.escapeLiteral(`[${vector.join(",")}]`)
        : Array.isArray(value)
          ? `ARRAY[${value.map(literal).join(", ")}]`
          : typeof value === "number"
            ? String(value)
            : client.escapeLiteral(String(value));
    const result = await client.query<{ "QUERY PLAN": [{ Plan: PlanNode }] }>(
      `EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE hybrid_generic(${params.map(literal).join(", ")})`,
    );
    return result.rows[0]?.["QUERY PLAN"][0].Plan;
  } finally {
    // Discarded, with its prepared statement and plan_cache_mode.
    client.release(true);
  }
}

/**
 * Each shape the planner has flipped on: one long document, many short ones, and a collection
 * among several of the same size (the HNSW index spans all of them).
 */
const SHAPES = [
  { name: "one document of 4,000 chunks", collections: 1, documents: 1, chunksPerDocument: 4000 },
  { name: "2,000 documents of 2 chunks", collections: 1, documents: 2000, chunksPerDocument: 2 },
  { name: "one of 4 collections", collections: 4, documents: 400, chunksPerDocument: 3 },
] as const;

const FILTERS: { name: string; filters?: SearchFilters }[] = [
  { name: "no filters" },
  { name: "a path prefix", filters: { pathPrefix: "dir1/" } },
  { name: "tags", filters: { tags: ["runbook"] } },
];

describe.skipIf(!realPostgresUrl())(realPostgresSuite("hybrid search plans"), () => {
  describe.each(SHAPES)("$name", (shape) => {
    let database: RealTestDatabase;
    let collection: Collection | undefined;

    beforeAll(async () => {
      database = await createRealTestDatabase("hybrid_plan");
      const db = database.database.db;
      const ids: string[] = [];
      for (let number = 0; number < shape.collections; number++) {
        const created = await ensureCollection({ db, embedder }, `plan-${number}`);
        collection ??= created;
        ids.push(created.id);
        await db.execute(sql`
          INSERT INTO documents (id, collection_id, source, title, content_hash, mime_type, metadata)
          SELECT 'doc_' || ${number} || '_' || g, ${created.id}, 'dir' || (g % 4) || '/doc-' || g || '.md',
            'Doc ' || g, md5(g::text), 'text/markdown',
            jsonb_build_object('tags', jsonb_build_array(CASE WHEN g % 3 = 1 THEN 'runbook' ELSE 'notes' END))
          FROM generate_series(1, ${shape.documents}) g`);
      }
      // Random unit-free vectors: the plan, not the ranking, is under test. The collections' chunks
      // are interleaved on disk, as ingests over time leave them: stored one collection after
      // another, an exact scan of one through chunks_collection_idx reads few pages, and the
      // planner weighed it against the HNSW scan as a near tie (it chose it in about one run in
      // fifteen).
      await db.execute(sql`
        INSERT INTO chunks (id, document_id, collection_id, ordinal, text, heading, start_line, end_line,
          token_count, content_hash, embedding)
        SELECT 'chk_' || k.n - 1 || '_' || g, 'doc_' || k.n - 1 || '_' || (1 + g % ${shape.documents}),
          k.id, g, 'roll back the deploy step ' || (g % 97) || ' of runbook ' || (g % 13), '',
          1, 1, 9, md5(g::text),
          ARRAY(SELECT random() - 0.5 FROM generate_series(1, ${DIMENSIONS}) WHERE g > 0)::vector
        FROM unnest(${sql.param(ids)}::text[]) WITH ORDINALITY AS k(id, n)
          CROSS JOIN generate_series(1, ${shape.documents * shape.chunksPerDocument}) g
        ORDER BY random()`);
      await db.execute(sql`ANALYZE`);
    }, 120_000);
    afterAll(async () => {
      await database?.drop();
    });

    it.each(FILTERS)(
      "with $name, scans the HNSW index only up to the candidates and scores only the rescored text candidates",
      async ({ filters }) => {
        const [vector] = await embedder.embed(["How do I roll back a deploy?"]);
        if (!collection) throw new Error("no collection");
        const query = hybridSearchQuery(collection, "How do I roll back a deploy?", vector ?? [], {
          topK: 10,
          ...(filters ? { filters } : {}),
        });
        const [row] = await queryRows<{ "QUERY PLAN": [{ Plan: PlanNode }] }>(
          database.database.db,
          sql`EXPLAIN (ANALYZE, FORMAT JSON) ${query}`,
        );
        expectBoundedVectorScan(row?.["QUERY PLAN"][0].Plan);
        expectBoundedTextScoring(row?.["QUERY PLAN"][0].Plan, filters !== undefined);
        const generic = await explainGeneric(database.database, query, vector ?? []);
        expectBoundedVectorScan(generic);
        expectBoundedTextScoring(generic, filters !== undefined);
      },
    );

    it("without vector candidates (vector weight 0) never starts the HNSW scan", async () => {
      const [vector] = await embedder.embed(["How do I roll back a deploy?"]);
      if (!collection) throw new Error("no collection");
      const query = hybridSearchQuery(collection, "How do I roll back a deploy?", vector ?? [], {
        topK: 10,
        vectorWeight: 0,
        vectorCandidates: 0,
      });
      const [row] = await queryRows<{ "QUERY PLAN": [{ Plan: PlanNode }] }>(
        database.database.db,
        sql`EXPLAIN (ANALYZE, FORMAT JSON) ${query}`,
      );
      const plan = row?.["QUERY PLAN"][0].Plan;
      const scans = (plan ? [...nodes(plan)] : []).filter(
        (node) => node["Index Name"] === `chunks_embedding_hnsw_${DIMENSIONS}`,
      );
      expect(scans.every((node) => (node["Actual Loops"] ?? 0) === 0)).toBe(true);
      expectBoundedTextScoring(plan, false);
    });

    it("runs hybridSearch as one prepared statement that returns what the plain one does", async () => {
      if (!collection) throw new Error("no collection");
      const question = "How do I roll back a deploy?";
      const [vector] = await embedder.embed([question]);
      // The vector half weighted 0: its approximate (HNSW) scan may walk differently under a
      // custom and a generic plan, and a vector rank that moved would reorder the fused list.
      // Weighted 0 the order is the full-text ranking's, which is exact, so it must come back
      // the same from either statement; rows only the vector half found are only counted.
      const options = { topK: 10, filters: { pathPrefix: "dir1/" }, vectorWeight: 0 };
      const plain = await queryRows<{ chunkId: string; textRank: number | null }>(
        database.database.db,
        hybridSearchQuery(collection, question, vector ?? [], options),
      );
      const same = (rows: { chunkId: string; textRank: number | null }[]) => ({
        ranked: rows.filter((row) => row.textRank !== null).map((row) => row.chunkId),
        rows: rows.length,
      });
      expect(same(plain).ranked.length).toBeGreaterThan(0);
      // One connection, so the statement's counters below are all of its runs.
      const single = await openDatabase({ kind: "postgres", url: database.url, poolSize: 1 });
      try {
        // Past Postgres' five custom plans, into the generic plan if it picks one.
        for (let run = 0; run < 7; run++) {
          const rows = await hybridSearch(
            { db: single.db },
            collection,
            question,
            vector ?? [],
            options,
          );
          expect(same(rows)).toEqual(same(plain));
        }
        const prepared = await queryRows<{ runs: number }>(
          single.db,
          sql`SELECT (generic_plans + custom_plans)::int AS runs FROM pg_prepared_statements
              WHERE name LIKE 'lore_%'`,
        );
        expect(prepared).toEqual([{ runs: 7 }]);
      } finally {
        await single.close();
      }
      // LORE_DB_PREPARED_STATEMENTS=off (a pooler that cannot keep them): plain statements.
      const unprepared = await openDatabase(
        { kind: "postgres", url: database.url, poolSize: 1 },
        { preparedStatements: false },
      );
      try {
        const rows = await hybridSearch(
          { db: unprepared.db },
          collection,
          question,
          vector ?? [],
          options,
        );
        expect(same(rows)).toEqual(same(plain));
        const prepared = await queryRows(
          unprepared.db,
          sql`SELECT name FROM pg_prepared_statements WHERE name LIKE 'lore_%'`,
        );
        expect(prepared).toEqual([]);
      } finally {
        await unprepared.close();
      }
    });
  });
});
