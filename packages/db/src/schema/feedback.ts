// Thumbs up or down (and an optional comment) on one logged answer.
import { index, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { queries } from "./queries";

export const feedback = pgTable(
  "feedback",
  {
    id: text("id").primaryKey(),
    queryId: text("query_id")
      .notNull()
      .references(() => queries.id, { onDelete: "cascade" }),
    rating: text("rating").$type<"up" | "down">().notNull(),
    comment: text("comment"),
    keyId: text("key_id"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  // Insights look up an answer's ratings, and retention's cascade finds them (migration 0010).
  (table) => [index("feedback_query_idx").on(table.queryId)],
);
