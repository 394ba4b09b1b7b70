// `bench query --mode server`'s database: an in-memory PGlite served over the Postgres wire from its own process, counting round trips.
import { openDatabase } from "@lore/db";
import { serveOverWire } from "@lore/db/testing";

/** Messages this process sends its parent (over the fork IPC channel). */
export type WireDatabaseMessage =
  | { kind: "ready"; url: string }
  | { kind: "roundTrips"; count: number };

const SYNC = "S".charCodeAt(0);
const SIMPLE_QUERY = "Q".charCodeAt(0);

// Its own process, so neither the load generator nor `lore serve` waits on its WASM backend.
const send = (message: WireDatabaseMessage) => process.send?.(message);
const database = await openDatabase({ kind: "pglite-memory" });
// The wire messages ending a round trip: Sync (an extended-protocol batch) and simple Query.
let roundTrips = 0;
const wire = await serveOverWire(database, {
  maxConnections: 64,
  onMessage: (message) => {
    if (message[0] === SYNC || message[0] === SIMPLE_QUERY) roundTrips += 1;
  },
});
process.on("message", (message) => {
  if (message === "roundTrips") send({ kind: "roundTrips", count: roundTrips });
});
process.once("disconnect", () => {
  void wire
    .stop()
    .then(() => database.close())
    .finally(() => process.exit(0));
});
send({ kind: "ready", url: wire.url });
