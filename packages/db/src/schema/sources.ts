// Sources (folder, git, web) that keep a collection in sync, with their schedule and last sync.
import { sql } from "drizzle-orm";
import { index, jsonb, pgTable, text, timestamp, unique } from "drizzle-orm/pg-core";

export const SOURCE_KINDS = ["folder", "git", "web"] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

export const sources = pgTable(
  "sources",
  {
    id: text("id").primaryKey(),
    collection: text("collection").notNull(),
    name: text("name").notNull(),
    kind: text("kind").$type<SourceKind>().notNull(),
    /** Validated by the kind's zod schema in @lore/core (sources/schemas.ts); never holds secrets. */
    config: jsonb("config").$type<Record<string, unknown>>().notNull(),
    /** A cron expression or an interval ("15m"); null: synced only on demand. */
    schedule: text("schedule"),
    nextRunAt: timestamp("next_run_at", { withTimezone: true }),
    lastSyncAt: timestamp("last_sync_at", { withTimezone: true }),
    lastStatus: text("last_status"),
    lastError: text("last_error"),
    /** git: the commit the collection holds; the next sync diffs from it. */
    lastSyncedRef: text("last_synced_ref"),
    lastJobId: text("last_job_id"),
    counts: jsonb("counts").$type<Record<string, unknown>>().notNull().default({}),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    unique("sources_collection_name_unique").on(table.collection, table.name),
    index("sources_next_run_idx").on(table.nextRunAt).where(sql`${table.nextRunAt} IS NOT NULL`),
  ],
);
