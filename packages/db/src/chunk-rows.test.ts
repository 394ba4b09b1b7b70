// Binary COPY of chunk rows on the real Postgres: the same rows, statistics and atomicity as the INSERT path.
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ChunkRow, chunkWriteTransaction, writesChunksByCopy } from "./chunk-rows";
import { queryRows } from "./query";
import {
  createRealTestDatabase,
  type RealTestDatabase,
  realPostgresSuite,
  realPostgresUrl,
} from "./real-postgres";
import { documents } from "./schema";

let real: RealTestDatabase;

// Values the binary format must carry exactly: multi-byte text, quotes, backslashes, tabs and
// newlines (which text-format COPY would escape), an empty heading, negative and large integers.
const tricky = [
  "Plain prose about the deploy.",
  "Ünïcödé — “quotes” 'single' \\ backslash \\N and a tab\there",
  "lines\nand\r\nmore lines; emoji 🚀 and 日本語",
  `${"long ".repeat(2000)}end`,
];

function components(ordinal: number): number[] {
  return [0.1 * (ordinal + 1), -0.5, 1e-7, 3.4028234663852886e38 / 1e30];
}

function rowsFor(documentId: string, prefix: string): ChunkRow[] {
  return tricky.map((text, ordinal) => ({
    id: `${prefix}_${ordinal}`,
    documentId,
    collectionId: "col_copy",
    ordinal,
    text,
    heading: ordinal === 0 ? "" : `Guide > Part ${ordinal} "x"`,
    startLine: ordinal * 10 + 1,
    endLine: ordinal === 3 ? 2_147_483_647 : ordinal * 10 + 9,
    tokenCount: ordinal === 2 ? 0 : 100 + ordinal,
    contentHash: `hash_${ordinal}`,
    // Embedders hand float32s over as they came (the COPY writes their bytes), tests numbers.
    embedding: ordinal % 2 === 1 ? Float32Array.from(components(ordinal)) : components(ordinal),
  }));
}

/** Every column of the document's chunks (ids without their prefix), as Postgres stores them. */
async function stored(documentId: string): Promise<Record<string, unknown>[]> {
  return queryRows(
    real.database.db,
    sql`SELECT split_part(id, '_', 2) AS id, collection_id, ordinal, text, heading, start_line,
          end_line, token_count, content_hash, embedding::text AS embedding, search::text AS search
        FROM chunks WHERE document_id = ${documentId} ORDER BY ordinal`,
  );
}

async function termCounts(): Promise<Record<string, number>> {
  const rows = await queryRows<{ lexeme: string; chunks: number }>(
    real.database.db,
    sql`SELECT lexeme, sum(chunks)::int AS chunks FROM collection_terms
        WHERE collection_id = 'col_copy' GROUP BY lexeme HAVING sum(chunks) <> 0`,
  );
  return Object.fromEntries(rows.map((row) => [row.lexeme, row.chunks]));
}

describe.skipIf(!realPostgresUrl())(realPostgresSuite("chunk rows by binary COPY"), () => {
  beforeAll(async () => {
    real = await createRealTestDatabase("g_copy", { poolSize: 3 });
    await real.database.db.execute(sql`
      INSERT INTO collections (id, name, embedding_model, embedding_dimensions)
      VALUES ('col_copy', 'copy', 'test', 4)`);
    await real.database.db.execute(sql`
      INSERT INTO documents (id, collection_id, source, title, content_hash, mime_type)
      VALUES ('doc_copy', 'col_copy', 'copy.md', 'C', 'c', 'text/markdown'),
        ('doc_insert', 'col_copy', 'insert.md', 'I', 'i', 'text/markdown')`);
  });
  afterAll(async () => {
    await real?.drop();
  });

  it("stores the same rows, full-text vectors and term statistics as multi-row INSERTs", async () => {
    expect(await writesChunksByCopy(real.database.db)).toBe(true);
    await chunkWriteTransaction(real.database.db, (_transaction, writeChunks) =>
      writeChunks(rowsFor("doc_copy", "copy")),
    );
    const afterCopy = await termCounts();
    await chunkWriteTransaction(
      real.database.db,
      (_transaction, writeChunks) => writeChunks(rowsFor("doc_insert", "insert")),
      { copy: false },
    );
    const copied = await stored("doc_copy");
    expect(copied).toHaveLength(tricky.length);
    expect(copied).toEqual(await stored("doc_insert"));
    expect(copied.map((row) => row.text)).toEqual(tricky);
    // Each component is the float4 it was sent as, whether it came as a number or a float32.
    const float4s = (values: readonly number[]) => values.map((value) => Math.fround(value));
    expect(copied.map((row) => float4s(JSON.parse(String(row.embedding))))).toEqual(
      tricky.map((_text, ordinal) => float4s(components(ordinal))),
    );
    // The statement-level triggers see COPY's rows as they see an INSERT's.
    const afterBoth = await termCounts();
    expect(Object.keys(afterCopy).length).toBeGreaterThan(5);
    for (const [lexeme, chunks] of Object.entries(afterCopy)) {
      expect(afterBoth[lexeme]).toBe(chunks * 2);
    }
  });

  it("rolls back the whole transaction when the database refuses a copied row", async () => {
    const rows = rowsFor("doc_refused", "refused");
    // A NUL byte is invalid in Postgres text: the server rejects the row during the COPY.
    rows[2] = { ...(rows[2] as ChunkRow), text: "bad \u0000 byte" };
    const failure = await chunkWriteTransaction(
      real.database.db,
      async (transaction, writeChunks) => {
        await transaction.insert(documents).values({
          id: "doc_refused",
          collectionId: "col_copy",
          source: "refused.md",
          title: "R",
          contentHash: "r",
          mimeType: "text/markdown",
        });
        await writeChunks(rows);
      },
    ).then(
      () => undefined,
      (error: unknown) => error as { code?: string },
    );
    expect(failure?.code).toMatch(/^22/);
    const [left] = await queryRows<{ documents: number; chunks: number }>(
      real.database.db,
      sql`SELECT (SELECT count(*)::int FROM documents WHERE id = 'doc_refused') AS documents,
        (SELECT count(*)::int FROM chunks WHERE document_id = 'doc_refused') AS chunks`,
    );
    expect(left).toEqual({ documents: 0, chunks: 0 });
    // The connection went back to the pool in a usable state.
    await chunkWriteTransaction(real.database.db, (_transaction, writeChunks) =>
      writeChunks(rowsFor("doc_copy", "again")),
    );
    expect(await stored("doc_copy")).toHaveLength(tricky.length * 2);
  });
});
