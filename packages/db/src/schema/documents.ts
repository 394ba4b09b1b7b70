// One source file or pushed document in a collection; `source` is unique within the collection.
import { jsonb, pgTable, text, timestamp, unique } from "drizzle-orm/pg-core";
import { collections } from "./collections";

export const documents = pgTable(
  "documents",
  {
    id: text("id").primaryKey(),
    collectionId: text("collection_id")
      .notNull()
      .references(() => collections.id, { onDelete: "cascade" }),
    source: text("source").notNull(),
    title: text("title").notNull(),
    contentHash: text("content_hash").notNull(),
    mimeType: text("mime_type").notNull(),
    metadata: jsonb("metadata").$type<Record<string, unknown>>().notNull().default({}),
    /** The link a person can open (a source's sync sets it); `{start}`/`{end}` are a citation's lines. */
    url: text("url"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [unique("documents_collection_source_unique").on(table.collectionId, table.source)],
);
