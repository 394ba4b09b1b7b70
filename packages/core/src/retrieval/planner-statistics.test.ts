// A bulk load leaves the planner statistics behind on the real Postgres, so the first searches after it are planned on them.
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
import { ingestFolder } from "../ingestion/ingest-folder";
import { SAMPLE_DOCS_DIR } from "../sample-docs";

describe.skipIf(!realPostgresUrl())(realPostgresSuite("planner statistics"), () => {
  let database: RealTestDatabase;

  beforeAll(async () => {
    database = await createRealTestDatabase("planner_statistics");
  });
  afterAll(async () => {
    await database?.drop();
  });

  it("are gathered at the end of a bulk load, not left to autovacuum", async () => {
    const context = { db: database.database.db, embedder: createLocalEmbedder() };
    // Any load is bulk at this threshold: the sample docs drop and rebuild both indexes.
    await ingestFolder(context, SAMPLE_DOCS_DIR, { collection: "default", bulkIndexMinChunks: 1 });
    // last_analyze is a manual ANALYZE's (autovacuum's is last_autoanalyze), and pg_stats holds
    // the collection's share of the chunks, which the vector half's plan is costed on.
    const analysed = await queryRows<{ relname: string; analysed: boolean }>(
      database.database.db,
      sql`SELECT relname, last_analyze IS NOT NULL AS analysed FROM pg_stat_user_tables
          WHERE relname IN ('chunks', 'documents') ORDER BY relname`,
    );
    expect(analysed).toEqual([
      { relname: "chunks", analysed: true },
      { relname: "documents", analysed: true },
    ]);
    const columns = await queryRows<{ attname: string }>(
      database.database.db,
      sql`SELECT attname FROM pg_stats WHERE tablename = 'chunks' AND attname = 'collection_id'`,
    );
    expect(columns).toHaveLength(1);
  });
});
