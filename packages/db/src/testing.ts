// Test harness: a fresh migrated PGlite per test file, optionally served over the Postgres wire protocol.
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { type Database, openDatabase } from "./client";
import { migrate } from "./migrate";

export async function createTestDatabase(): Promise<Database> {
  const database = await openDatabase({ kind: "pglite-memory" });
  await migrate(database);
  return database;
}

export interface WireServer {
  /** A postgres:// URL the real `pg` driver (or a child process) can connect to. */
  url: string;
  stop(): Promise<void>;
}

/** Serves an in-memory PGlite over TCP so the node-postgres code path runs for real. */
export async function serveOverWire(database: Database, maxConnections = 12): Promise<WireServer> {
  if (!database.pglite) throw new Error("serveOverWire needs a PGlite database");
  const server = new PGLiteSocketServer({
    db: database.pglite,
    port: 0,
    host: "127.0.0.1",
    maxConnections,
  });
  await server.start();
  return {
    url: `postgres://postgres:postgres@${server.getServerConn()}/postgres?sslmode=disable`,
    stop: () => server.stop(),
  };
}
