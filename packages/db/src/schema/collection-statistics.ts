// Per-collection chunk and token totals for BM25, kept exact by triggers on `chunks` (migrations/0004).
import { bigint, integer, pgTable, primaryKey, text } from "drizzle-orm/pg-core";
import { collections } from "./collections";

/**
 * A collection's totals are the sums over its rows. Each writer adds its deltas to the row of
 * its connection's shard, so concurrent ingests into one collection do not queue on one counter
 * row; a rolled-back write rolls back its deltas with it.
 */
export const collectionStatistics = pgTable(
  "collection_statistics",
  {
    collectionId: text("collection_id")
      .notNull()
      .references(() => collections.id, { onDelete: "cascade" }),
    shard: integer("shard").notNull(),
    chunks: bigint("chunks", { mode: "number" }).notNull().default(0),
    /** Sum of the chunks' `token_count`: the BM25 average length is tokens / chunks. */
    tokens: bigint("tokens", { mode: "number" }).notNull().default(0),
  },
  (table) => [primaryKey({ columns: [table.collectionId, table.shard] })],
);
