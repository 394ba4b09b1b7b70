// The Postgres a benchmark runs against: DATABASE_URL when given, else an in-memory PGlite served over the wire.
import { type Database, openDatabase } from "@lore/db";
import { serveOverWire } from "@lore/db/testing";

export interface BenchDatabase {
  url: string;
  /** What the numbers were measured on, for the result. */
  kind: "postgres" | "pglite-over-wire";
  close(): Promise<void>;
}

/**
 * PGlite is one WASM backend in this process: every connection is served by it in turn, so
 * these numbers are a floor for what a real Postgres with pgvector does on the same machine.
 */
export async function openBenchDatabase(url: string | undefined): Promise<BenchDatabase> {
  if (url) return { url, kind: "postgres", close: async () => {} };
  const database: Database = await openDatabase({ kind: "pglite-memory" });
  const wire = await serveOverWire(database, { maxConnections: 64 });
  return {
    url: wire.url,
    kind: "pglite-over-wire",
    close: async () => {
      await wire.stop();
      await database.close();
    },
  };
}
