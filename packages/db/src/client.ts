// Opens Lore's database: embedded PGlite (with pgvector) in a data directory, or a pg pool by URL.
import { mkdirSync } from "node:fs";
import type pg from "pg";
import lockfile from "proper-lockfile";
import { sendVectorsAsBinary } from "./binary-vectors";
import { connectionEfSearchSet, registerEfSearch } from "./hnsw-session";
import { disablePreparedStatements } from "./postgres-pool";
import * as schema from "./schema";
import type { Database, DatabaseTarget, LoreDb, SessionSettings } from "./types";
import { DEFAULT_HNSW_EF_SEARCH } from "./vector-index";

export class DataDirLockedError extends Error {
  override readonly name = "DataDirLockedError";
  constructor(readonly dataDir: string) {
    super(
      `The data directory ${dataDir} is in use by another Lore process. Only one process can open an embedded database: stop the other process (for example the running \`pnpm start\`), or send the work to it over HTTP.`,
    );
  }
}

// Filtered ANN queries (one collection, a path prefix) keep scanning the HNSW graph until
// they have enough rows instead of returning fewer than asked (pgvector >= 0.8). ef_search is the
// session's until a search asks for the value its index's size calls for (searchEfSearch).
function sessionSql(efSearch: number): string {
  return `SET hnsw.iterative_scan = relaxed_order; SET hnsw.ef_search = ${efSearch}`;
}

export async function openDatabase(
  target: DatabaseTarget,
  settings: SessionSettings = {},
): Promise<Database> {
  const efSearch = Math.trunc(settings.hnswEfSearch ?? DEFAULT_HNSW_EF_SEARCH);
  const sessionSetup = sessionSql(efSearch);
  // Each mode's driver loads only when it is used: PGlite's is heavy, and a server never needs it.
  if (target.kind === "postgres") {
    const [{ default: pg }, { drizzle: drizzlePostgres }] = await Promise.all([
      import("pg"),
      import("drizzle-orm/node-postgres"),
    ]);
    const pool = new pg.Pool({
      connectionString: target.url,
      max: target.poolSize ?? 10,
      // A failover can leave a connect hanging on an unreachable host; fail it so callers see 503.
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      // Finds a peer that vanished without closing the socket (a failed-over host, a dropped NAT).
      keepAlive: true,
      // Awaited before the connection is handed out, so the settings precede its first query.
      onConnect: async (client) => {
        await client.query(sessionSetup).then(
          () => connectionEfSearchSet(client, efSearch),
          () => {},
        );
      },
    });
    registerEfSearch(pool, settings.hnswEfSearch);
    if (settings.preparedStatements === false) disablePreparedStatements(pool);
    const connectionErrors = watchConnectionErrors(pool);
    releaseBrokenClients(pool);
    const db = drizzlePostgres(pool, { schema }) as unknown as LoreDb;
    return {
      db,
      kind: "postgres",
      pool,
      listen: (channel, onNotify) => listenOnPool(pool, channel, onNotify),
      onConnectionError: connectionErrors,
      close: () => pool.end(),
    };
  }
  const release = target.kind === "pglite" ? await lockDataDir(target.dataDir) : undefined;
  try {
    const [{ createPglite }, { drizzle: drizzlePglite }] = await Promise.all([
      import("./pglite"),
      import("drizzle-orm/pglite"),
    ]);
    const template = target.template ?? target.kind === "pglite";
    const pglite = await createPglite(
      target.kind === "pglite" ? target.dataDir : undefined,
      template === true ? {} : template,
    );
    await pglite.exec(sessionSetup);
    registerEfSearch(pglite, settings.hnswEfSearch);
    connectionEfSearchSet(pglite, efSearch);
    await sendVectorsAsBinary(pglite);
    const db = drizzlePglite(pglite, { schema }) as unknown as LoreDb;
    return {
      db,
      kind: "pglite",
      pglite,
      listen: async (channel, onNotify) => {
        const unlisten = await pglite.listen(assertChannel(channel), onNotify);
        return () => unlisten();
      },
      // PGlite runs in this process: there is no connection to lose.
      onConnectionError: () => () => {},
      close: async () => {
        await pglite.close();
        await release?.();
      },
    };
  } catch (error) {
    await release?.();
    throw error;
  }
}

const CONNECT_TIMEOUT_MS = 5000;
const LISTEN_RETRY_MIN_MS = 100;
const LISTEN_RETRY_MAX_MS = 5000;

/**
 * node-postgres emits `error` on a client whose socket dies, on the pool while the client is
 * idle and on the client itself while it is checked out (a transaction between two queries, the
 * LISTEN connection); an `error` event with no listener ends the process. Every connection gets
 * a listener here; the failed query (if any) still rejects, and the pool replaces the client.
 */
function watchConnectionErrors(pool: pg.Pool): Database["onConnectionError"] {
  const listeners = new Set<(error: Error) => void>();
  const report = (error: Error) => {
    for (const listener of listeners) listener(error);
  };
  // Reported by the client's own listener below, which sees idle and checked-out clients alike;
  // this one only keeps the pool's re-emitted event from ending the process.
  pool.on("error", () => {});
  pool.on("connect", (client) => {
    client.on("error", report);
  });
  return (listener) => {
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
    };
  };
}

/**
 * A checked-out client whose connection breaks is given back to the pool (and so discarded) at
 * once, and later release() calls on it do nothing. drizzle's transaction() runs BEGIN before
 * its try/finally, so a BEGIN on a connection that had just died never released the client: each
 * outage leaked pool slots until every query waited for a connection that never came.
 */
function releaseBrokenClients(pool: pg.Pool): void {
  const connect = pool.connect.bind(pool) as (
    callback?: (
      error: Error | undefined,
      client: pg.PoolClient | undefined,
      done: () => void,
    ) => void,
  ) => Promise<pg.PoolClient> | undefined;
  // pg-pool's own query() uses the callback form and handles broken clients itself.
  const guarded = (callback?: Parameters<typeof connect>[0]) =>
    callback ? connect(callback) : connect()?.then(releaseOnBreak);
  pool.connect = guarded as typeof pool.connect;
}

function releaseOnBreak(client: pg.PoolClient): pg.PoolClient {
  const release = client.release;
  let released = false;
  const releaseOnce = (error?: Error | boolean) => {
    if (released) return;
    released = true;
    client.off("error", releaseOnce);
    release(error);
  };
  client.on("error", releaseOnce);
  client.release = releaseOnce;
  return client;
}

/**
 * Holds one pooled connection that LISTENs on `channel`. When it breaks, it is released as
 * broken and a new one LISTENs after a backoff (doubling to LISTEN_RETRY_MAX_MS, with jitter);
 * `onNotify` runs once on reconnecting, since notifications sent meanwhile were lost.
 */
async function listenOnPool(
  pool: pg.Pool,
  channel: string,
  onNotify: () => void,
): Promise<() => Promise<void>> {
  const name = assertChannel(channel);
  let client: pg.PoolClient | undefined;
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;
  let delayMs = LISTEN_RETRY_MIN_MS;
  const onNotification = (message: pg.Notification) => {
    if (message.channel === name) onNotify();
  };
  const drop = (broken: pg.PoolClient, error: Error) => {
    if (client !== broken) return;
    client = undefined;
    broken.off("notification", onNotification);
    broken.release(error);
    scheduleReconnect();
  };
  const connect = async (): Promise<void> => {
    const next = await pool.connect();
    next.on("notification", onNotification);
    // Reported to onConnectionError by the pool's watch; this only starts the reconnect.
    next.once("error", (error: Error) => drop(next, error));
    client = next;
    try {
      await next.query(`LISTEN ${name}`);
    } catch (error) {
      drop(next, error instanceof Error ? error : new Error(String(error)));
      throw error;
    }
  };
  let started = false;
  const scheduleReconnect = () => {
    if (!started || stopped || retry) return;
    const wait = delayMs / 2 + Math.random() * (delayMs / 2);
    delayMs = Math.min(delayMs * 2, LISTEN_RETRY_MAX_MS);
    retry = setTimeout(() => {
      retry = undefined;
      if (stopped) return;
      connect().then(
        () => {
          delayMs = LISTEN_RETRY_MIN_MS;
          if (stopped) void unlisten();
          else onNotify();
        },
        // drop() has already scheduled the next try when the LISTEN itself failed.
        () => scheduleReconnect(),
      );
    }, wait);
    // A pending reconnect must not keep a finished process alive.
    retry.unref();
  };
  const unlisten = async () => {
    stopped = true;
    clearTimeout(retry);
    const current = client;
    client = undefined;
    if (!current) return;
    current.off("notification", onNotification);
    const broken = await current.query(`UNLISTEN ${name}`).then(
      () => undefined,
      (error: Error) => error,
    );
    current.release(broken ?? false);
  };
  // The first connection's failure is the caller's to handle (it falls back to polling).
  await connect();
  started = true;
  return unlisten;
}

/** Channels are fixed identifiers in Lore's code, never user input; this keeps it that way. */
function assertChannel(channel: string): string {
  if (!/^[a-z_]+$/.test(channel)) throw new Error(`Invalid notification channel: ${channel}`);
  return channel;
}

// PGlite corrupts a data directory that two processes open at once, so the directory is locked.
async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  mkdirSync(dataDir, { recursive: true });
  try {
    return await lockfile.lock(dataDir, { lockfilePath: `${dataDir}/lore.lock`, stale: 15_000 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ELOCKED") throw new DataDirLockedError(dataDir);
    throw error;
  }
}
