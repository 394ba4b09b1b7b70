// Per-collection document frequency of each full-text lexeme, for BM25's IDF; kept exact by triggers on `chunks` (migrations/0006).
import { bigint, integer, pgTable, primaryKey, text } from "drizzle-orm/pg-core";
import { collections } from "./collections";

/**
 * A lexeme's document frequency in a collection is the sum over its rows (one per writer shard,
 * as in collection_statistics, so concurrent ingests do not queue on one row per common word).
 * Retrieval looks IDF up here instead of counting the chunks that match each query term.
 */
export const collectionTerms = pgTable(
  "collection_terms",
  {
    collectionId: text("collection_id")
      .notNull()
      .references(() => collections.id, { onDelete: "cascade" }),
    lexeme: text("lexeme").notNull(),
    shard: integer("shard").notNull(),
    /** Chunks of the collection whose `search` vector holds the lexeme. */
    chunks: bigint("chunks", { mode: "number" }).notNull().default(0),
  },
  (table) => [primaryKey({ columns: [table.collectionId, table.lexeme, table.shard] })],
);
