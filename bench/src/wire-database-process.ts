// `bench query --mode server`'s database: an in-memory PGlite served over the Postgres wire from its own process, counting round trips.
import { type Database, openDatabase } from "@lore/db";
import { serveOverWire } from "@lore/db/testing";

/** Messages this process sends its parent (over the fork IPC channel). */
export type WireDatabaseMessage =
  | { kind: "ready"; url: string }
  | { kind: "roundTrips"; count: number };

type PGliteSession = NonNullable<Database["pglite"]>;

const SYNC = "S".charCodeAt(0);
const SIMPLE_QUERY = "Q".charCodeAt(0);

/**
 * The database with its PGlite seen through a proxy that counts the wire messages ending a
 * round trip: Sync (an extended-protocol batch: parse, bind, execute) and simple Query.
 */
function countRoundTrips(database: Database): { database: Database; count: () => number } {
  const pglite = database.pglite;
  if (!pglite) throw new Error("counting round trips needs a PGlite database");
  let roundTrips = 0;
  const counting = new Proxy(pglite, {
    get(target, property) {
      if (property === "execProtocolRawStream") {
        return (
          message: Uint8Array,
          rest: Parameters<PGliteSession["execProtocolRawStream"]>[1],
        ) => {
          if (message[0] === SYNC || message[0] === SIMPLE_QUERY) roundTrips += 1;
          return target.execProtocolRawStream(message, rest);
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { database: { ...database, pglite: counting }, count: () => roundTrips };
}

// Its own process, so neither the load generator nor `lore serve` waits on its WASM backend.
const send = (message: WireDatabaseMessage) => process.send?.(message);
const database = await openDatabase({ kind: "pglite-memory" });
const counted = countRoundTrips(database);
const wire = await serveOverWire(counted.database, 64);
process.on("message", (message) => {
  if (message === "roundTrips") send({ kind: "roundTrips", count: counted.count() });
});
process.once("disconnect", () => {
  void wire
    .stop()
    .then(() => database.close())
    .finally(() => process.exit(0));
});
send({ kind: "ready", url: wire.url });
