// Test harness: a fresh migrated PGlite per test file, optionally served over the Postgres wire protocol.
import { createServer } from "node:net";
import type { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { openDatabase } from "./client";
import { migrate } from "./migrate";
import type { Database } from "./types";

/** From the cached migrated template (pglite-template.ts): initdb per test file costs seconds. */
export async function createTestDatabase(): Promise<Database> {
  const database = await openDatabase({ kind: "pglite-memory", template: true });
  await migrate(database);
  return database;
}

/** A TCP port free right now on 127.0.0.1 (for a server a test stops and starts again on it). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no TCP port was assigned");
  return address.port;
}

export interface WireServer {
  /** A postgres:// URL the real `pg` driver (or a child process) can connect to. */
  url: string;
  stop(): Promise<void>;
}

export interface WireOptions {
  maxConnections?: number;
  /** A fixed port: a test that stops the server can serve again where its clients reconnect. */
  port?: number;
  /** Sees each wire message before PGlite runs it (the bench counts round trips with it). */
  onMessage?: (message: Uint8Array) => void;
}

/** Serves an in-memory PGlite over TCP so the node-postgres code path runs for real. */
export async function serveOverWire(
  database: Database,
  { maxConnections = 12, onMessage, port = 0 }: WireOptions = {},
): Promise<WireServer> {
  if (!database.pglite) throw new Error("serveOverWire needs a PGlite database");
  const server = new PGLiteSocketServer({
    db: database.pglite,
    port,
    host: "127.0.0.1",
    maxConnections,
  });
  keepExtendedQueriesTogether(server, database.pglite, onMessage);
  routeNotifications(server);
  await server.start();
  return {
    url: `postgres://postgres:postgres@${server.getServerConn()}/postgres?sslmode=disable`,
    stop: () => server.stop(),
  };
}

/** A test database, and a pg pool on it over the wire: server mode's driver without a server. */
export interface WiredDatabase {
  embedded: Database;
  server: Database;
  close(): Promise<void>;
}

export async function openOverWire(poolSize: number): Promise<WiredDatabase> {
  const embedded = await createTestDatabase();
  const wire = await serveOverWire(embedded);
  const server = await openDatabase({ kind: "postgres", url: wire.url, poolSize });
  return {
    embedded,
    server,
    close: async () => {
      await server.close();
      await wire.stop();
      await embedded.close();
    },
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
function keepExtendedQueriesTogether(
  server: PGLiteSocketServer,
  pglite: PGlite,
  onMessage: WireOptions["onMessage"],
): void {
  let midBatch = false;
  const session = new Proxy(pglite, {
    get(target, property) {
      if (property === "isInTransaction") return () => target.isInTransaction() || midBatch;
      if (property === "execProtocolRawStream") {
        return (message: Uint8Array, options: Parameters<PGlite["execProtocolRawStream"]>[1]) => {
          onMessage?.(message);
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

type QueueSink = (data: Uint8Array) => void;
interface QueryQueue {
  enqueue(handlerId: number, message: Uint8Array, onData: QueueSink): Promise<number>;
}

const SIMPLE_QUERY = "Q".charCodeAt(0);
const NOTIFICATION = "A".charCodeAt(0);
const LISTEN = /^\s*(UN)?LISTEN\s+("?)([\w$.]+)\2\s*;?\s*$/i;

/**
 * On a real Postgres a NOTIFY reaches every connection that LISTENs on its channel. PGlite has
 * one session for all of pglite-socket's connections, so the notification comes out in the reply
 * to whichever connection committed the NOTIFY. This takes each NotificationResponse out of the
 * replies and writes it to the connections that ran LISTEN on its channel (node-postgres sends
 * LISTEN and UNLISTEN as simple queries), so listeners over the wire behave as on Postgres.
 */
function routeNotifications(server: PGLiteSocketServer): void {
  const queue = (server as unknown as { queryQueue: QueryQueue }).queryQueue;
  const listeners = new Map<string, Map<number, QueueSink>>();
  const enqueue = queue.enqueue.bind(queue);
  queue.enqueue = (handlerId, message, onData) => {
    const listen = message[0] === SIMPLE_QUERY ? LISTEN.exec(simpleQueryText(message)) : null;
    // Postgres folds an unquoted channel name to lower case.
    const channel = listen?.[2] ? listen[3] : listen?.[3]?.toLowerCase();
    if (channel) {
      const sinks = listeners.get(channel) ?? new Map<number, QueueSink>();
      if (listen?.[1]) sinks.delete(handlerId);
      else sinks.set(handlerId, onData);
      listeners.set(channel, sinks);
    }
    return enqueue(handlerId, message, (data) => {
      const { rest, notifications } = takeNotifications(data);
      onData(rest);
      for (const notification of notifications) {
        for (const sink of listeners.get(notification.channel)?.values() ?? []) {
          sink(notification.message);
        }
      }
    });
  };
}

function simpleQueryText(message: Uint8Array): string {
  return Buffer.from(message.subarray(5)).toString("utf8").replace(/\0$/, "");
}

/** Splits a reply into its NotificationResponse messages and the rest; unparseable data stays whole. */
function takeNotifications(data: Uint8Array): {
  rest: Uint8Array;
  notifications: { channel: string; message: Uint8Array }[];
} {
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const kept: Buffer[] = [];
  const notifications: { channel: string; message: Uint8Array }[] = [];
  let offset = 0;
  while (offset + 5 <= bytes.length) {
    const end = offset + 1 + bytes.readInt32BE(offset + 1);
    if (end > bytes.length) return { rest: data, notifications: [] };
    const message = bytes.subarray(offset, end);
    if (message[0] === NOTIFICATION) {
      // Type, length, sender pid, then the channel as a C string.
      const channelEnd = message.indexOf(0, 9);
      notifications.push({ channel: message.toString("utf8", 9, channelEnd), message });
    } else {
      kept.push(message);
    }
    offset = end;
  }
  if (offset !== bytes.length || notifications.length === 0)
    return { rest: data, notifications: [] };
  return { rest: Buffer.concat(kept), notifications };
}
