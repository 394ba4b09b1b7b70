// collection_terms' triggers: each collection's lexeme document frequencies stay equal to a recount of its chunks.
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queryRows } from "./query";
import {
  createRealTestDatabase,
  type RealTestDatabase,
  realPostgresSuite,
  realPostgresUrl,
} from "./real-postgres";
import { createTestDatabase } from "./testing";
import type { Database } from "./types";

let database: Database;

/** `collection/lexeme` → chunks, as the triggers keep it (zero rows left by deletes dropped). */
async function kept(): Promise<Record<string, number>> {
  const rows = await queryRows<{ key: string; chunks: number }>(
    database.db,
    sql`SELECT collection_id || '/' || lexeme AS key, sum(chunks)::int AS chunks
        FROM collection_terms GROUP BY 1 HAVING sum(chunks) <> 0 ORDER BY 1`,
  );
  return Object.fromEntries(rows.map((row) => [row.key, row.chunks]));
}

/** The same, counted from the chunks themselves. */
async function recounted(): Promise<Record<string, number>> {
  const rows = await queryRows<{ key: string; chunks: number }>(
    database.db,
    sql`SELECT c.collection_id || '/' || term.lexeme AS key, count(*)::int AS chunks
        FROM chunks c CROSS JOIN LATERAL unnest(tsvector_to_array(c.search)) AS term(lexeme)
        GROUP BY 1 ORDER BY 1`,
  );
  return Object.fromEntries(rows.map((row) => [row.key, row.chunks]));
}

async function insertChunk(id: string, collection: string, text: string): Promise<void> {
  await database.db.execute(sql`
    INSERT INTO chunks (id, document_id, collection_id, ordinal, text, start_line, end_line,
      token_count, content_hash, embedding)
    VALUES (${id}, ${`doc_${collection}`}, ${`col_${collection}`}, 0, ${text}, 1, 1, 5, ${id}, '[1,0,0]')`);
}

beforeAll(async () => {
  database = await createTestDatabase();
  await database.db.execute(sql`
    INSERT INTO collections (id, name, embedding_model, embedding_dimensions)
    VALUES ('col_a', 'a', 'test', 3), ('col_b', 'b', 'test', 3)`);
  await database.db.execute(sql`
    INSERT INTO documents (id, collection_id, source, title, content_hash, mime_type)
    VALUES ('doc_a', 'col_a', 'a.md', 'A', 'a', 'text/markdown'),
      ('doc_b', 'col_b', 'b.md', 'B', 'b', 'text/markdown')`);
});
afterAll(async () => {
  await database.close();
});

describe("collection_terms", () => {
  it("counts each chunk once per lexeme, per collection, through inserts, updates and deletes", async () => {
    await insertChunk("chk_1", "a", "Roll back the deploy; deploy again.");
    await insertChunk("chk_2", "a", "Restore the database backup.");
    await insertChunk("chk_3", "b", "Deploy the database.");
    expect(await kept()).toMatchObject({
      "col_a/deploy": 1,
      "col_a/databas": 1,
      "col_b/deploy": 1,
    });
    expect(await kept()).toEqual(await recounted());

    await database.db.execute(
      sql`UPDATE chunks SET text = 'Deploy on Fridays.' WHERE id = 'chk_2'`,
    );
    expect((await kept())["col_a/deploy"]).toBe(2);
    expect(await kept()).toEqual(await recounted());

    // A move to another collection counts out of one and into the other.
    await database.db.execute(
      sql`UPDATE chunks SET collection_id = 'col_b', document_id = 'doc_b' WHERE id = 'chk_1'`,
    );
    expect(await kept()).toEqual(await recounted());

    await database.db.execute(sql`DELETE FROM chunks WHERE id = 'chk_3'`);
    expect(await kept()).toEqual(await recounted());
  });

  it("forgets a deleted collection's terms and a truncated table's", async () => {
    await insertChunk("chk_4", "a", "Escalate to the on-call engineer.");
    await database.db.execute(sql`DELETE FROM collections WHERE id = 'col_a'`);
    expect(Object.keys(await kept()).some((key) => key.startsWith("col_a/"))).toBe(false);
    expect(await kept()).toEqual(await recounted());

    await database.db.execute(sql`TRUNCATE chunks`);
    expect(await kept()).toEqual({});
  });
});

// Both trigger families (collection_statistics and collection_terms) write to the transaction's
// shard: with statistics sharded by pg_backend_pid() % 16 instead, 16 backends almost surely share
// a shard there, one waits on another's row and this test fails on its lock timeout.
describe.skipIf(!realPostgresUrl())(realPostgresSuite("collection_terms writers"), () => {
  let real: RealTestDatabase;
  beforeAll(async () => {
    real = await createRealTestDatabase("collection_terms", { poolSize: 17 });
    await real.database.db.execute(sql`
      INSERT INTO collections (id, name, embedding_model, embedding_dimensions) VALUES ('col_a', 'a', 'test', 3);
      INSERT INTO documents (id, collection_id, source, title, content_hash, mime_type)
      VALUES ('doc_a', 'col_a', 'a.md', 'A', 'a', 'text/markdown')`);
  });
  afterAll(async () => {
    await real?.drop();
  });

  it("never wait on each other: up to 16 open transactions each get a shard of their own", async () => {
    const pool = real.database.pool;
    if (!pool) throw new Error("expected a pg pool");
    const clients = await Promise.all(Array.from({ length: 16 }, () => pool.connect()));
    try {
      for (const [index, client] of clients.entries()) {
        await client.query("BEGIN");
        // A writer that waited on another's row would fail here instead of hanging the test.
        await client.query("SET LOCAL lock_timeout = '2s'");
        for (const word of index % 2 === 0 ? ["alpha", "omega"] : ["omega", "alpha"]) {
          await client.query(
            `INSERT INTO chunks (id, document_id, collection_id, ordinal, text, start_line, end_line,
               token_count, content_hash, embedding)
             VALUES ($1, 'doc_a', 'col_a', 0, $2, 1, 1, 1, $1, '[1,0,0]')`,
            [`chk_${index}_${word}`, word],
          );
        }
      }
      const shards = await Promise.all(
        clients.map(
          async (client) =>
            (
              await client.query<{ shard: string }>(
                "SELECT current_setting('lore.term_shard') AS shard",
              )
            ).rows[0]?.shard,
        ),
      );
      expect(new Set(shards).size).toBe(16);
      for (const client of clients) await client.query("COMMIT");
    } finally {
      for (const client of clients) client.release();
    }
    const [row] = await queryRows<{ alpha: number; omega: number }>(
      real.database.db,
      sql`SELECT sum(chunks) FILTER (WHERE lexeme = 'alpha')::int AS alpha,
            sum(chunks) FILTER (WHERE lexeme = 'omega')::int AS omega
          FROM collection_terms WHERE collection_id = 'col_a'`,
    );
    expect(row).toEqual({ alpha: 16, omega: 16 });
    const [statistics] = await queryRows<{ chunks: number }>(
      real.database.db,
      sql`SELECT sum(chunks)::int AS chunks FROM collection_statistics WHERE collection_id = 'col_a'`,
    );
    expect(statistics?.chunks).toBe(32);
  });
});
