-- Insights (issue 18): marks on documentation gaps a doc owner resolved, and an index for the
-- per-collection, per-window reads the insights views make over the query log.
CREATE TABLE IF NOT EXISTS "insight_gap_resolutions" (
	"id" text PRIMARY KEY NOT NULL,
	"collection" text NOT NULL,
	"representative" text NOT NULL,
	"question_hashes" jsonb NOT NULL,
	"resolved_at" timestamp with time zone DEFAULT now() NOT NULL,
	"resolved_by" text
);
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "insight_gap_resolutions_collection_idx" ON "insight_gap_resolutions" USING btree ("collection","resolved_at");
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "queries_collection_created_idx" ON "queries" USING btree ("collection","created_at");
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "feedback_query_idx" ON "feedback" USING btree ("query_id");
--> statement-breakpoint
-- The gaps read only a collection's refused and fallback asks in a window: a quarter of the log
-- or less. The predicate is the one packages/core/src/insights/gaps.ts writes, so the planner
-- can prove it.
CREATE INDEX IF NOT EXISTS "queries_failed_collection_created_idx" ON "queries" USING btree ("collection","created_at") WHERE ("abstained" OR "mode" = 'extractive-fallback');
