// The ingest's full-text vectors, computed by the database on a connection of its own while their batch is embedded.
import { fullTextVectors, type LoreDb } from "@lore/db";
import { isChanged, type PreparedDocument } from "./prepare-document";

/**
 * Asks the database for the batch's full-text vectors (`to_tsvector` of each chunk, in binary)
 * and attaches them to the documents, so the batch's COPY passes them through instead of
 * computing them in the one serial write (~0.45 of its ~1.6 CPU-s on 5,776 chunks). Postgres
 * is otherwise idle while the first batches are embedded. Best effort: when the query fails (a
 * text the database refuses, a lost connection) the documents keep none and the write computes
 * them as before, failing there if it must, where a refused document is handled.
 */
export async function attachFullTextVectors(
  db: LoreDb,
  prepared: readonly PreparedDocument[],
): Promise<void> {
  const changed = prepared.filter(isChanged);
  const pieces = changed.flatMap((document) => document.pieces);
  if (pieces.length === 0) return;
  const vectors = await fullTextVectors(db, pieces).catch(() => undefined);
  if (vectors?.length !== pieces.length) return;
  let next = 0;
  for (const document of changed) {
    document.search = document.pieces.map(() => vectors[next++] as Uint8Array);
  }
}
