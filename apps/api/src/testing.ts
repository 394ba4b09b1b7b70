// Test helpers for the API's suites: row counts that show whether a refused request wrote anything.
import { Writable } from "node:stream";
import { type LoreDb, queryRows } from "@lore/db";
import { sql } from "drizzle-orm";
import { type Logger, pino } from "pino";

export interface RowCounts {
  collections: number;
  documents: number;
  chunks: number;
  apiKeys: number;
  feedback: number;
  queries: number;
  ingestJobs: number;
}

export async function rowCounts(db: LoreDb): Promise<RowCounts> {
  const [row] = await queryRows<RowCounts>(
    db,
    sql`SELECT (SELECT count(*) FROM collections)::int AS "collections",
               (SELECT count(*) FROM documents)::int AS "documents",
               (SELECT count(*) FROM chunks)::int AS "chunks",
               (SELECT count(*) FROM api_keys)::int AS "apiKeys",
               (SELECT count(*) FROM feedback)::int AS "feedback",
               (SELECT count(*) FROM queries)::int AS "queries",
               (SELECT count(*) FROM ingest_jobs)::int AS "ingestJobs"`,
  );
  if (!row) throw new Error("row counts: no row");
  return row;
}

/** A pino logger at `info` that appends each JSON line it writes to `lines` (tests read the logs). */
export function capturingLogger(lines: string[]): Logger {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return pino({ level: "info" }, sink);
}
