// The log of answered questions: answer, citations, mode, stage timings, tokens and cost.
import { sql } from "drizzle-orm";
import {
  boolean,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
} from "drizzle-orm/pg-core";

export const queries = pgTable(
  "queries",
  {
    id: text("id").primaryKey(),
    collection: text("collection").notNull(),
    question: text("question").notNull(),
    answer: text("answer").notNull(),
    abstained: boolean("abstained").notNull(),
    mode: text("mode").notNull(),
    citations: jsonb("citations").$type<unknown[]>().notNull().default([]),
    timings: jsonb("timings").$type<Record<string, number>>().notNull().default({}),
    warnings: jsonb("warnings").$type<string[]>().notNull().default([]),
    model: text("model"),
    promptTokens: integer("prompt_tokens").notNull().default(0),
    completionTokens: integer("completion_tokens").notNull().default(0),
    costUsd: doublePrecision("cost_usd").notNull().default(0),
    /** The API key that asked; null for the CLI or with auth off. */
    keyId: text("key_id"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    index("queries_created_idx").on(table.createdAt),
    index("queries_key_created_idx").on(table.keyId, table.createdAt),
    // Insights (migration 0010) read one collection's window of the log.
    index("queries_collection_created_idx").on(table.collection, table.createdAt),
    // The gaps read only refused and fallback asks; same predicate as the gaps query (0010).
    index("queries_failed_collection_created_idx")
      .on(table.collection, table.createdAt)
      .where(sql`(${table.abstained} OR ${table.mode} = 'extractive-fallback')`),
  ],
);
