// A retrievable span of a document: its text, heading path, line range, embedding and full-text vector.
import { sql } from "drizzle-orm";
import { index, integer, pgTable, text } from "drizzle-orm/pg-core";
import { collections } from "./collections";
import { documents } from "./documents";
import { tsvector, vector } from "./types";

export const chunks = pgTable(
  "chunks",
  {
    id: text("id").primaryKey(),
    documentId: text("document_id")
      .notNull()
      .references(() => documents.id, { onDelete: "cascade" }),
    // Denormalised from the document so retrieval filters without a join.
    collectionId: text("collection_id")
      .notNull()
      .references(() => collections.id, { onDelete: "cascade" }),
    ordinal: integer("ordinal").notNull(),
    text: text("text").notNull(),
    heading: text("heading").notNull().default(""),
    startLine: integer("start_line").notNull(),
    endLine: integer("end_line").notNull(),
    tokenCount: integer("token_count").notNull(),
    contentHash: text("content_hash").notNull(),
    embedding: vector("embedding").notNull(),
    // to_tsvector('english', heading || ' ' || text), filled by the writer (a bulk ingest
    // computes it on another connection while the batch is embedded: chunk-rows.ts) or, when
    // a writer leaves it NULL or changes the text, by the chunks_search trigger (migration 0013).
    // An insert that leaves it out sends NULL for the trigger (drizzle only, not a SQL default).
    search: tsvector("search")
      .notNull()
      .$defaultFn(() => sql`NULL`),
  },
  (table) => [
    index("chunks_document_idx").on(table.documentId, table.ordinal),
    index("chunks_collection_idx").on(table.collectionId),
    index("chunks_content_hash_idx").on(table.collectionId, table.contentHash),
    index("chunks_search_idx").using("gin", table.search),
  ],
);
