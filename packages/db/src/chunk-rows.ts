// Writes chunk rows inside a write transaction: binary COPY on Postgres, multi-row INSERTs on PGlite.
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type pg from "pg";
import { isConnectionError } from "./errors";
import { postgresPool } from "./postgres-pool";
import * as schema from "./schema";
import { chunks } from "./schema";
import { vectorBinaryLength, writeVectorBinary } from "./schema/types";
import { searchVectorSql } from "./search-index";
import type { LoreDb, LoreTransaction } from "./types";

/** One row of `chunks` as written. */
export type ChunkRow = Omit<typeof chunks.$inferInsert, "search" | "heading" | "embedding"> & {
  heading: string;
  /** Float32Array as an embedder returned it, or numbers: stored as float4s either way. */
  embedding: readonly number[] | Float32Array;
  /**
   * The full-text vector in tsvector's binary form, computed ahead (fullTextVectors): the COPY
   * passes it through. Without it the write computes it: the INSERTs by searchVectorSql, a
   * COPY row (sent as NULL) by the chunks_search trigger.
   */
  search?: Uint8Array;
};

/** Appends chunk rows to the transaction's writes; resolves once the database has them all. */
export type WriteChunkRows = (rows: readonly ChunkRow[]) => Promise<void>;

// Rows per INSERT: 11 parameters a row stays far below Postgres' 65,535, statements stay a few MB.
const CHUNK_INSERT_ROWS = 500;

/** Whether chunkWriteTransaction on this handle loads chunks by COPY (Postgres) or INSERTs. */
export async function writesChunksByCopy(db: LoreDb): Promise<boolean> {
  const pool = postgresPool(db);
  return pool !== undefined && (await acceptsCopy(pool));
}

// Per pool, whether its server takes COPY FROM STDIN: Postgres does; PGlite served over the wire
// protocol (tests, the bench without a URL) does not. Asked once per pool.
const copySupport = new WeakMap<pg.Pool, Promise<boolean>>();

function acceptsCopy(pool: pg.Pool): Promise<boolean> {
  let known = copySupport.get(pool);
  if (!known) {
    known = pool
      .query<{ pglite: boolean }>("SELECT version() LIKE '%PGlite%' AS pglite")
      .then((result) => result.rows[0]?.pglite !== true);
    // A failed probe (the server unreachable) is asked again next time, not remembered.
    known.catch(() => copySupport.delete(pool));
    copySupport.set(pool, known);
  }
  return known;
}

/**
 * Runs `work` in one transaction with a `writeChunks` that loads rows the fastest way the driver
 * allows. On Postgres that is `COPY chunks FROM STDIN (FORMAT binary)` on the transaction's own
 * connection: no SQL text or parameters per row, and the vectors' bytes go through as they are
 * (the same rows as the INSERTs: chunk-rows.test.ts). PGlite has no COPY from a client stream,
 * in-process or over the wire, so it keeps multi-row INSERTs. Either way a failure rolls back everything `work` wrote.
 */
export async function chunkWriteTransaction<Result>(
  db: LoreDb,
  work: (transaction: LoreTransaction, writeChunks: WriteChunkRows) => Promise<Result>,
  options: { copy?: boolean } = {},
): Promise<Result> {
  const pool = options.copy === false ? undefined : postgresPool(db);
  if (!pool || !(await acceptsCopy(pool))) {
    return db.transaction((transaction) =>
      work(transaction, (rows) => insertChunkRows(transaction, rows)),
    );
  }
  const { drizzle } = await import("drizzle-orm/node-postgres");
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    // drizzle on one checked-out client runs its transaction on that client, so the COPY below
    // (which drizzle cannot express) is part of the same transaction.
    const onClient = drizzle(client, { schema }) as unknown as LoreDb;
    return await onClient.transaction((transaction) =>
      work(transaction, (rows) => copyChunkRows(client, rows)),
    );
  } catch (error) {
    if (isConnectionError(error) && error instanceof Error) broken = error;
    throw error;
  } finally {
    client.release(broken ?? false);
  }
}

export async function insertChunkRows(
  transaction: LoreTransaction,
  rows: readonly ChunkRow[],
): Promise<void> {
  for (let start = 0; start < rows.length; start += CHUNK_INSERT_ROWS) {
    // The vector column's encoder (vectorBinary, schema/types.ts) takes a Float32Array as well as
    // numbers; the full-text vector is computed in the statement (PGlite has no second connection
    // to compute it on ahead, and takes no binary tsvector parameter).
    const batch = rows
      .slice(start, start + CHUNK_INSERT_ROWS)
      .map(({ search: _ahead, ...row }) => ({ ...row, search: searchVectorSql(row) }));
    await transaction.insert(chunks).values(batch as unknown as (typeof chunks.$inferInsert)[]);
  }
}

const COPY_COLUMNS = [
  "id",
  "document_id",
  "collection_id",
  "ordinal",
  "text",
  "heading",
  "start_line",
  "end_line",
  "token_count",
  "content_hash",
  "embedding",
  "search",
] as const;

/** `COPY chunks … FROM STDIN (FORMAT binary)` of `rows` on `client`, inside its open transaction. */
export async function copyChunkRows(
  client: pg.PoolClient,
  rows: readonly ChunkRow[],
): Promise<void> {
  if (rows.length === 0) return;
  const copyStreams = await import("pg-copy-streams");
  // CommonJS: Node's ESM loader names its exports, the CLI's bundle only has them on `default`.
  const copyFrom = copyStreams.from ?? copyStreams.default.from;
  const stream = client.query(
    copyFrom(`COPY chunks (${COPY_COLUMNS.join(", ")}) FROM STDIN (FORMAT binary)`),
  );
  await pipeline(Readable.from(binaryCopy(rows)), stream);
}

// PGCOPY\n\377\r\n\0, then int32 flags and int32 header-extension length (both 0).
const COPY_HEADER = Buffer.from([
  0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00, 0, 0, 0, 0, 0, 0, 0, 0,
]);
const COPY_TRAILER = Buffer.from([0xff, 0xff]);
// Rows encoded per buffer handed to the stream: large writes, bounded memory.
const ROWS_PER_WRITE = 200;

/**
 * Postgres' binary COPY format: per row a field count, then each field as int32 length + bytes.
 * Each group of rows is written straight into one buffer sized for it: no per-field buffers to
 * concatenate, and a vector's 6 KB are copied once (they were copied into a buffer of their own,
 * then again by the concatenation).
 */
function* binaryCopy(rows: readonly ChunkRow[]): Generator<Buffer> {
  yield COPY_HEADER;
  for (let start = 0; start < rows.length; start += ROWS_PER_WRITE) {
    const group = rows.slice(start, start + ROWS_PER_WRITE);
    const buffer = Buffer.allocUnsafe(group.reduce((total, row) => total + rowLength(row), 0));
    let offset = 0;
    for (const row of group) {
      offset = buffer.writeInt16BE(COPY_COLUMNS.length, offset);
      offset = writeText(buffer, offset, row.id);
      offset = writeText(buffer, offset, row.documentId);
      offset = writeText(buffer, offset, row.collectionId);
      offset = writeInt4(buffer, offset, row.ordinal);
      offset = writeText(buffer, offset, row.text);
      offset = writeText(buffer, offset, row.heading);
      offset = writeInt4(buffer, offset, row.startLine);
      offset = writeInt4(buffer, offset, row.endLine);
      offset = writeInt4(buffer, offset, row.tokenCount);
      offset = writeText(buffer, offset, row.contentHash);
      offset = buffer.writeInt32BE(vectorBinaryLength(row.embedding), offset);
      offset = writeVectorBinary(row.embedding, buffer, offset);
      offset = writeBytes(buffer, offset, row.search);
    }
    yield buffer;
  }
  yield COPY_TRAILER;
}

// Per field an int32 length; the row starts with an int16 field count.
function rowLength(row: ChunkRow): number {
  const texts = [row.id, row.documentId, row.collectionId, row.text, row.heading, row.contentHash];
  const textBytes = texts.reduce((total, text) => total + Buffer.byteLength(text, "utf8"), 0);
  const int4s = 4 * 8;
  const search = 4 + (row.search?.length ?? 0);
  return 2 + 4 * texts.length + textBytes + int4s + 4 + vectorBinaryLength(row.embedding) + search;
}

// A field of raw bytes; absent, a NULL (-1), which the chunks_search trigger fills in.
function writeBytes(buffer: Buffer, offset: number, bytes: Uint8Array | undefined): number {
  if (bytes === undefined) return buffer.writeInt32BE(-1, offset);
  buffer.writeInt32BE(bytes.length, offset);
  buffer.set(bytes, offset + 4);
  return offset + 4 + bytes.length;
}

function writeText(buffer: Buffer, offset: number, value: string): number {
  const length = buffer.write(value, offset + 4, "utf8");
  buffer.writeInt32BE(length, offset);
  return offset + 4 + length;
}

function writeInt4(buffer: Buffer, offset: number, value: number): number {
  buffer.writeInt32BE(4, offset);
  return buffer.writeInt32BE(value, offset + 4);
}
