// Test harness: a fresh migrated PGlite per test file, optionally served over the Postgres wire protocol.
import type { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { type Database, openDatabase } from "./client";
import { migrate } from "./migrate";

/** From the cached migrated template (pglite-template.ts): initdb per test file costs seconds. */
export async function createTestDatabase(): Promise<Database> {
  const database = await openDatabase({ kind: "pglite-memory", template: true });
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
  keepExtendedQueriesTogether(server, database.pglite);
  await server.start();
  return {
    url: `postgres://postgres:postgres@${server.getServerConn()}/postgres?sslmode=disable`,
    stop: () => server.stop(),
  };
}

// Extended-protocol message types that leave a statement half-done until the client's Sync.
const MID_BATCH = new Set(["P", "B", "D", "E", "C", "H"].map((letter) => letter.charCodeAt(0)));

/**
 * pglite-socket runs each wire message as it arrives, so two connections' Parse/Bind/Execute
 * messages can interleave on PGlite's single session ("unnamed prepared statement does not
 * exist"). Its queue already keeps one connection's messages together inside a transaction;
 * this extends that to an unfinished extended-protocol batch, so concurrent clients (several
 * workers, a pool) behave as on a real Postgres.
 */
function keepExtendedQueriesTogether(server: PGLiteSocketServer, pglite: PGlite): void {
  let midBatch = false;
  const session = new Proxy(pglite, {
    get(target, property) {
      if (property === "isInTransaction") return () => target.isInTransaction() || midBatch;
      if (property === "execProtocolRawStream") {
        return (message: Uint8Array, options: Parameters<PGlite["execProtocolRawStream"]>[1]) => {
          const type = message[0] ?? 0;
          midBatch = MID_BATCH.has(type);
          return target.execProtocolRawStream(message, options);
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  (server as unknown as { queryQueue: { db: PGlite } }).queryQueue.db = session;
}
