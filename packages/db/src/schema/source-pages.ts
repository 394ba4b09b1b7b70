// A web source's validators per page (ETag, Last-Modified): an unchanged page is answered 304 and writes nothing.
import { jsonb, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";
import { sources } from "./sources";

export const sourcePages = pgTable(
  "source_pages",
  {
    sourceId: text("source_id")
      .notNull()
      .references(() => sources.id, { onDelete: "cascade" }),
    url: text("url").notNull(),
    etag: text("etag"),
    lastModified: text("last_modified"),
    /** The page's links within the prefix when it was last read: a 304 still continues the crawl. */
    links: jsonb("links").$type<string[]>().notNull().default([]),
    fetchedAt: timestamp("fetched_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [primaryKey({ columns: [table.sourceId, table.url] })],
);
