// Durable ingest job queue rows: claimed with FOR UPDATE SKIP LOCKED, leased, retried with backoff.
import { boolean, index, integer, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { sources } from "./sources";

export const INGEST_JOB_STATUSES = [
  "queued",
  "running",
  "succeeded",
  "failed",
  "cancelled",
] as const;
export type IngestJobStatus = (typeof INGEST_JOB_STATUSES)[number];

export const ingestJobs = pgTable(
  "ingest_jobs",
  {
    id: text("id").primaryKey(),
    collection: text("collection").notNull(),
    path: text("path").notNull(),
    sync: boolean("sync").notNull().default(false),
    status: text("status").$type<IngestJobStatus>().notNull().default("queued"),
    attempts: integer("attempts").notNull().default(0),
    maxAttempts: integer("max_attempts").notNull().default(3),
    /** Not claimable before this time (retry backoff). */
    runAfter: timestamp("run_after", { withTimezone: true }).notNull().defaultNow(),
    workerId: text("worker_id"),
    /** A running job whose lease has expired belongs to a dead worker and is claimable again. */
    leaseExpiresAt: timestamp("lease_expires_at", { withTimezone: true }),
    heartbeatAt: timestamp("heartbeat_at", { withTimezone: true }),
    progress: jsonb("progress").$type<Record<string, unknown>>().notNull().default({}),
    summary: jsonb("summary").$type<Record<string, unknown>>(),
    error: text("error"),
    /** A source's sync (sources.ts); at most one queued or running per source (a unique partial index). */
    sourceId: text("source_id").references(() => sources.id, { onDelete: "set null" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
    startedAt: timestamp("started_at", { withTimezone: true }),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
  },
  (table) => [
    index("ingest_jobs_claim_idx").on(table.status, table.runAfter),
    index("ingest_jobs_created_idx").on(table.createdAt),
  ],
);
