// Raw SQL helpers that behave the same on PGlite and node-postgres.
import { createHash } from "node:crypto";
import { type SQL, sql } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import { driverClientOf, useEfSearch } from "./hnsw-session";
import { postgresPool, preparesStatements } from "./postgres-pool";
import type { LoreDb, LoreTransaction } from "./types";

/** Runs a raw query and returns its rows (both drivers put them under `rows`). */
export async function queryRows<Row>(db: LoreDb | LoreTransaction, query: SQL): Promise<Row[]> {
  const result = (await db.execute(query)) as unknown as { rows: Row[] };
  return result.rows;
}

const dialect = new PgDialect();

/**
 * queryRows for a hot statement: on a Postgres pool it runs as a named prepared statement, so
 * each connection parses it once, and once Postgres settles on a generic plan (after five runs,
 * when that plan costs no more than the custom ones) plans it once too. The name holds a hash of
 * the SQL text, so each shape of the statement is its own statement; callers keep the shapes
 * few (values that vary per call go in parameters). Elsewhere (PGlite, a transaction, a pool
 * opened with `preparedStatements: false`) it is queryRows. With `efSearch` (searchEfSearch),
 * the statement runs at that hnsw.ef_search, set on its connection first when it holds another.
 */
export async function queryRowsPrepared<Row>(
  db: LoreDb | LoreTransaction,
  query: SQL,
  options: { efSearch?: number | undefined } = {},
): Promise<Row[]> {
  const pool = postgresPool(db);
  const { efSearch } = options;
  if (!pool) {
    const driverClient = driverClientOf(db);
    if (efSearch !== undefined && driverClient) {
      await useEfSearch(driverClient, efSearch, (statement) => db.execute(sql.raw(statement)));
    }
    return queryRows(db, query);
  }
  const prepared = preparesStatements(pool);
  if (!prepared && efSearch === undefined) return queryRows(db, query);
  const { sql: text, params } = dialect.sqlToQuery(query);
  // One connection for the SET and the statement.
  const client = await pool.connect();
  try {
    if (efSearch !== undefined) {
      await useEfSearch(client, efSearch, (statement) => client.query(statement));
    }
    // The connection's number in the name too: PGlite served over the wire (tests, benches)
    // runs every connection in its one session, where a second Parse of a name fails.
    const name = `lore_${connectionNumber(client)}_${createHash("sha1").update(text).digest("base64url")}`;
    const result = await client.query<Row & Record<string, unknown>>({
      ...(prepared ? { name } : {}),
      text,
      values: params,
    });
    client.release();
    return result.rows;
  } catch (error) {
    // As pg's pool.query does: a connection whose statement failed is not reused.
    client.release(error instanceof Error ? error : true);
    throw error;
  }
}

const connectionNumbers = new WeakMap<object, number>();
let connectionsNumbered = 0;

function connectionNumber(client: object): number {
  let number = connectionNumbers.get(client);
  if (number === undefined) {
    number = ++connectionsNumbered;
    connectionNumbers.set(client, number);
  }
  return number;
}

/**
 * Samples chunks and documents for the planner: the columns its joins and filters estimate
 * from (the text and tsvector columns' statistics would cost more than the rest together, and
 * no predicate reads them). After a bulk load into a fresh table Postgres has no statistics
 * until autovacuum's next round: it then guessed a collection at 184 of its 7,077 chunks and
 * sorted every vector instead of scanning the HNSW index (search p50 187–206 ms, against
 * 24–29 ms once analysed; docs/scaling.md). PGlite has no autovacuum at all.
 */
export async function analyzeChunks(db: LoreDb): Promise<void> {
  await db.execute(sql`ANALYZE chunks (collection_id, document_id), documents`);
}
