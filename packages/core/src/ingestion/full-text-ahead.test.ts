// On the real Postgres an ingest's full-text vectors come from the query run while their batch is embedded, not from the write.
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
import { SAMPLE_DOCS_DIR } from "../sample-docs";
import { ingestFolder } from "./ingest-folder";

describe.skipIf(!realPostgresUrl())(realPostgresSuite("full-text vectors computed ahead"), () => {
  let real: RealTestDatabase;

  beforeAll(async () => {
    real = await createRealTestDatabase("c_full_text_ahead");
  });
  afterAll(async () => {
    await real?.drop();
  });

  it("fills every chunk's search in the COPY, equal to the generated column's vector", async () => {
    // Without the trigger a row the COPY left NULL would fail the NOT NULL constraint: the
    // load only succeeds if every vector was computed ahead and passed through.
    await real.database.db.execute(sql`ALTER TABLE chunks DISABLE TRIGGER chunks_search`);
    const context = { db: real.database.db, embedder: createLocalEmbedder() };
    const summary = await ingestFolder(context, SAMPLE_DOCS_DIR, {
      collection: "default",
      embedBatchSize: 64,
    });
    await real.database.db.execute(sql`ALTER TABLE chunks ENABLE TRIGGER chunks_search`);
    expect(summary.chunks.added).toBeGreaterThan(100);
    const [row] = await queryRows<{ total: number; differing: number }>(
      real.database.db,
      sql`SELECT count(*)::int AS total,
            count(*) FILTER (WHERE search <> to_tsvector('english', heading || ' ' || text))::int
              AS differing
          FROM chunks`,
    );
    expect(row).toEqual({ total: summary.chunks.added, differing: 0 });
  });
});
