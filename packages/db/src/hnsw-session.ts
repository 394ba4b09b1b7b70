// Which hnsw.ef_search each connection holds, so a search sends a SET only when it needs another.

// openDatabase registers each handle it opens (by its driver client: the pg pool or the PGlite
// instance) and each connection's value once set; a search asks for the value its index's size
// calls for (searchEfSearch), and its connection is sent a SET only when it holds another, where
// a SET before every statement would cost a round trip each.

export interface HnswSession {
  /** LORE_HNSW_EF_SEARCH was given: every search runs with it. */
  fixed: boolean;
  /** Vectors per dimension and when they were read (searchEfSearch's cache). */
  rows: Map<number, { rows: number; readAt: number }>;
}

const sessions = new WeakMap<object, HnswSession>();
/** The value each connection (a pg client, or the PGlite instance) holds now. */
const currentEfSearch = new WeakMap<object, number>();

/** The driver client (pg pool or PGlite instance) under a drizzle handle; none for a transaction. */
export function driverClientOf(db: object): object | undefined {
  return (db as { $client?: object }).$client;
}

/** The session state of a handle openDatabase opened; undefined for others (a transaction). */
export function hnswSession(db: object): HnswSession | undefined {
  const driverClient = driverClientOf(db);
  return driverClient ? sessions.get(driverClient) : undefined;
}

/** Called by openDatabase for the pool or PGlite instance it opened. */
export function registerEfSearch(driverClient: object, configured: number | undefined): void {
  sessions.set(driverClient, {
    fixed: configured !== undefined,
    rows: new Map(),
  });
}

/** Called once a connection's session settings are in: it holds the initial ef_search. */
export function connectionEfSearchSet(connection: object, efSearch: number): void {
  currentEfSearch.set(connection, efSearch);
}

/**
 * Sets `efSearch` on one connection unless it holds it already. `run` sends a statement on that
 * connection. PGlite served over the wire (tests, benches) runs all connections in one session,
 * where another connection's SET can go unseen: such a search runs with another ef_search.
 */
export async function useEfSearch(
  connection: object,
  efSearch: number,
  run: (statement: string) => Promise<unknown>,
): Promise<void> {
  const value = Math.trunc(efSearch);
  if (currentEfSearch.get(connection) === value) return;
  await run(`SET hnsw.ef_search = ${value}`);
  currentEfSearch.set(connection, value);
}
