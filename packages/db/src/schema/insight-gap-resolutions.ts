// Documentation gaps a doc owner marked resolved; a gap reopens when it is refused again after a later ingest.
import { index, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";

export const insightGapResolutions = pgTable(
  "insight_gap_resolutions",
  {
    id: text("id").primaryKey(),
    collection: text("collection").notNull(),
    /** The group's representative question when it was resolved, for the record. */
    representative: text("representative").notNull(),
    /** sha256 of each normalised question in the group: a later group sharing one is this gap. */
    questionHashes: jsonb("question_hashes").$type<string[]>().notNull(),
    resolvedAt: timestamp("resolved_at", { withTimezone: true }).notNull().defaultNow(),
    /** The API key that resolved it; null for the CLI or with auth off. */
    resolvedBy: text("resolved_by"),
  },
  (table) => [
    index("insight_gap_resolutions_collection_idx").on(table.collection, table.resolvedAt),
  ],
);
