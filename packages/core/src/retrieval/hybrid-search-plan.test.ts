// Plan checks on the real Postgres: hybrid search's ANN half is an HNSW index scan that stops at its candidate count.
import { queryRows } from "@lore/db";
import {
  createRealTestDatabase,
  type RealTestDatabase,
  realPostgresSuite,
  realPostgresUrl,
} from "@lore/db/real-postgres";
import { createLocalEmbedder } from "@lore/providers";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Collection, ensureCollection } from "../collections/collections";
import { hybridSearchQuery } from "./hybrid-search";
import { DEFAULT_RETRIEVAL } from "./retrieval-settings";
import type { SearchFilters } from "./schemas";

const DIMENSIONS = 32;
const embedder = createLocalEmbedder({ dimensions: DIMENSIONS });

interface PlanNode {
  "Node Type": string;
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
      for (let number = 0; number < shape.collections; number++) {
        const created = await ensureCollection({ db, embedder }, `plan-${number}`);
        collection ??= created;
        await db.execute(sql`
          INSERT INTO documents (id, collection_id, source, title, content_hash, mime_type, metadata)
          SELECT 'doc_' || ${number} || '_' || g, ${created.id}, 'dir' || (g % 4) || '/doc-' || g || '.md',
            'Doc ' || g, md5(g::text), 'text/markdown',
            jsonb_build_object('tags', jsonb_build_array(CASE WHEN g % 3 = 1 THEN 'runbook' ELSE 'notes' END))
          FROM generate_series(1, ${shape.documents}) g`);
        // Random unit-free vectors: the plan, not the ranking, is under test.
        await db.execute(sql`
          INSERT INTO chunks (id, document_id, collection_id, ordinal, text, heading, start_line, end_line,
            token_count, content_hash, embedding)
          SELECT 'chk_' || ${number} || '_' || g, 'doc_' || ${number} || '_' || (1 + g % ${shape.documents}),
            ${created.id}, g, 'roll back the deploy step ' || (g % 97) || ' of runbook ' || (g % 13), '',
            1, 1, 9, md5(g::text),
            ARRAY(SELECT random() - 0.5 FROM generate_series(1, ${DIMENSIONS}) WHERE g > 0)::vector
          FROM generate_series(1, ${shape.documents * shape.chunksPerDocument}) g`);
      }
      await db.execute(sql`ANALYZE`);
    }, 120_000);
    afterAll(async () => {
      await database?.drop();
    });

    it.each(FILTERS)(
      "with $name, scans the HNSW index only up to the candidates",
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
        const plan = row?.["QUERY PLAN"][0].Plan;
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
      },
    );
  });
});
