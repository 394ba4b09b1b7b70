-- Sources (issue 16): stored descriptions of where a collection's documents come from (a folder,
-- a git repository, a website), with an optional schedule; their syncs run as ingest jobs.
CREATE TABLE "sources" (
	"id" text PRIMARY KEY NOT NULL,
	"collection" text NOT NULL,
	"name" text NOT NULL,
	"kind" text NOT NULL,
	"config" jsonb NOT NULL,
	"schedule" text,
	"next_run_at" timestamp with time zone,
	"last_sync_at" timestamp with time zone,
	"last_status" text,
	"last_error" text,
	"last_synced_ref" text,
	"last_job_id" text,
	"counts" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sources_collection_name_unique" UNIQUE("collection", "name"),
	CONSTRAINT "sources_kind_check" CHECK ("kind" IN ('folder', 'git', 'web'))
);
--> statement-breakpoint
CREATE INDEX "sources_next_run_idx" ON "sources" ("next_run_at") WHERE "next_run_at" IS NOT NULL;
--> statement-breakpoint
-- A web source's validators per page: an unchanged page is answered 304 and writes nothing.
CREATE TABLE "source_pages" (
	"source_id" text NOT NULL REFERENCES "sources"("id") ON DELETE CASCADE,
	"url" text NOT NULL,
	"etag" text,
	"last_modified" text,
	-- The page's links within the prefix when it was last read: a 304 still continues the crawl.
	"links" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"fetched_at" timestamp with time zone DEFAULT now() NOT NULL,
	PRIMARY KEY ("source_id", "url")
);
--> statement-breakpoint
-- The link a person can open for a document; `{start}` and `{end}` in it are a citation's lines.
ALTER TABLE "documents" ADD COLUMN "url" text;
--> statement-breakpoint
ALTER TABLE "ingest_jobs" ADD COLUMN "source_id" text REFERENCES "sources"("id") ON DELETE SET NULL;
--> statement-breakpoint
-- At most one queued or running sync per source, enforced by the database: a due sync is queued
-- once however many workers tick, and a sync never overlaps a running one of the same source.
CREATE UNIQUE INDEX "ingest_jobs_source_active_unique" ON "ingest_jobs" ("source_id")
	WHERE "source_id" IS NOT NULL AND "status" IN ('queued', 'running');
