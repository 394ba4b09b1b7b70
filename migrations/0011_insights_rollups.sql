-- Insights rollups (issue 18): what the usage and gaps reports read, summed per UTC hour, per
-- UTC day (hour 24) and per week from Monday (hour 25), kept current by triggers on `queries` and
-- `feedback` in the writing transaction (whichever process writes; a rolled-back write takes its
-- deltas back), so a report reads a few thousand rollup rows instead of every logged ask of its
-- window: weeks from the week rows, the days before its first Monday from the day rows, the rest
-- of its first day from the hour rows, and its first partial hour from the log.
-- Retention's deletes subtract their rows the same way. Sources and questions are keyed by
-- their md5: a long one cannot break the btree row limit.
CREATE TABLE IF NOT EXISTS "insight_usage_rollups" (
	"hour" smallint NOT NULL,
	"day" date NOT NULL,
	"collection" text NOT NULL,
	"key_id" text DEFAULT '' NOT NULL,
	"questions" bigint DEFAULT 0 NOT NULL,
	"answered" bigint DEFAULT 0 NOT NULL,
	"refused" bigint DEFAULT 0 NOT NULL,
	"fallback" bigint DEFAULT 0 NOT NULL,
	"thumbs_up" bigint DEFAULT 0 NOT NULL,
	"thumbs_down" bigint DEFAULT 0 NOT NULL,
	"prompt_tokens" bigint DEFAULT 0 NOT NULL,
	"completion_tokens" bigint DEFAULT 0 NOT NULL,
	"cost_usd" double precision DEFAULT 0 NOT NULL,
	CONSTRAINT "insight_usage_rollups_hour_day_collection_key_id_pk" PRIMARY KEY("hour","day","collection","key_id")
);
--> statement-breakpoint
CREATE TABLE IF NOT EXISTS "insight_latency_rollups" (
	"hour" smallint NOT NULL,
	"day" date NOT NULL,
	"collection" text NOT NULL,
	"key_id" text DEFAULT '' NOT NULL,
	"stage" text NOT NULL,
	"bucket" smallint NOT NULL,
	"count" bigint DEFAULT 0 NOT NULL,
	"sum_ms" double precision DEFAULT 0 NOT NULL,
	CONSTRAINT "insight_latency_rollups_hour_day_collection_key_id_stage_bucket_pk" PRIMARY KEY("hour","day","collection","key_id","stage","bucket")
);
--> statement-breakpoint
CREATE TABLE IF NOT EXISTS "insight_citation_rollups" (
	"hour" smallint NOT NULL,
	"day" date NOT NULL,
	"collection" text NOT NULL,
	"source_hash" text NOT NULL,
	"source" text NOT NULL,
	"citations" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "insight_citation_rollups_hour_day_collection_source_hash_pk" PRIMARY KEY("hour","day","collection","source_hash")
);
--> statement-breakpoint
CREATE TABLE IF NOT EXISTS "insight_gap_question_rollups" (
	"hour" smallint NOT NULL,
	"collection" text NOT NULL,
	"day" date NOT NULL,
	"question_hash" text NOT NULL,
	"question" text NOT NULL,
	"asked" bigint DEFAULT 0 NOT NULL,
	"refused" bigint DEFAULT 0 NOT NULL,
	"fallback" bigint DEFAULT 0 NOT NULL,
	"thumbs_down" bigint DEFAULT 0 NOT NULL,
	"last_asked" timestamp with time zone NOT NULL,
	CONSTRAINT "insight_gap_question_rollups_hour_collection_day_question_hash_pk" PRIMARY KEY("hour","collection","day","question_hash")
);
--> statement-breakpoint
CREATE TABLE IF NOT EXISTS "insight_gap_citation_rollups" (
	"hour" smallint NOT NULL,
	"collection" text NOT NULL,
	"day" date NOT NULL,
	"question_hash" text NOT NULL,
	"source_hash" text NOT NULL,
	"source" text NOT NULL,
	"count" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "insight_gap_citation_rollups_hour_collection_day_question_hash_source_hash_pk" PRIMARY KEY("hour","collection","day","question_hash","source_hash")
);
--> statement-breakpoint
CREATE TABLE IF NOT EXISTS "insight_query_votes" (
	"query_id" text PRIMARY KEY NOT NULL,
	"up" integer DEFAULT 0 NOT NULL,
	"down" integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
-- Case and spacing do not make a different question.
CREATE FUNCTION lore_normalise_question(question text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT lower(regexp_replace(btrim(question), '\s+', ' ', 'g'))
$$;
--> statement-breakpoint
-- Latency histogram bucket of a stage time in ms: 0 below 0.1 ms, then buckets growing by 10 %
-- (bucket b >= 1 holds [0.1 * 1.1^(b-1), 0.1 * 1.1^b)); each keeps its count and the sum of its
-- times, and packages/core/src/insights/latency-histogram.ts reads them back. Anything but a JSON
-- number has no bucket (exact percentiles skipped it too).
CREATE FUNCTION lore_latency_bucket(value jsonb) RETURNS smallint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN value IS NULL OR jsonb_typeof(value) <> 'number' THEN NULL
    WHEN value::text::float8 < 0.1 THEN 0
    ELSE least(32000, 1 + floor(ln(value::text::float8 / 0.1) / ln(1.1)))::smallint
  END
$$;
--> statement-breakpoint
-- The rollup rows an ask counts in: its UTC hour (0-23) of its day, its day (24), and its week
-- (25, `day` the Monday).
CREATE FUNCTION lore_insight_grains(created_at timestamptz)
RETURNS TABLE (hour smallint, day date)
LANGUAGE sql STABLE AS $$
  SELECT * FROM (VALUES
    (extract(hour FROM created_at AT TIME ZONE 'UTC')::smallint, (created_at AT TIME ZONE 'UTC')::date),
    (24::smallint, (created_at AT TIME ZONE 'UTC')::date),
    (25::smallint, date_trunc('week', created_at AT TIME ZONE 'UTC')::date)) AS g(hour, day)
$$;
--> statement-breakpoint
-- Query rows, once per grain they count in, with their votes (from insight_query_votes).
CREATE FUNCTION lore_insight_rows(changed queries[])
RETURNS TABLE (hour smallint, day date, id text, collection text, key_id text, question text,
  abstained boolean, fallback boolean, up integer, down integer, timings jsonb, citations jsonb,
  prompt_tokens integer, completion_tokens integer, cost_usd float8, created_at timestamptz)
LANGUAGE sql STABLE AS $$
  SELECT g.hour, g.day, q.id, q.collection,
    coalesce(q.key_id, ''), q.question, q.abstained, q.mode = 'extractive-fallback',
    coalesce(v.up, 0), coalesce(v.down, 0), q.timings,
    CASE WHEN jsonb_typeof(q.citations) = 'array' THEN q.citations ELSE '[]'::jsonb END,
    q.prompt_tokens, q.completion_tokens, q.cost_usd, q.created_at
  FROM unnest(changed) AS q
  LEFT JOIN insight_query_votes v ON v.query_id = q.id
  CROSS JOIN LATERAL lore_insight_grains(q.created_at) AS g
$$;
--> statement-breakpoint
-- The contributions of a set of query rows, one function per rollup: the triggers add or
-- subtract them, and the reports sum a window's first hour from the raw log with the same
-- functions (its hour 24 rows).
CREATE FUNCTION lore_insight_usage(changed queries[])
RETURNS TABLE (hour smallint, day date, collection text, key_id text, questions bigint,
  answered bigint, refused bigint, fallback bigint, thumbs_up bigint, thumbs_down bigint,
  prompt_tokens bigint, completion_tokens bigint, cost_usd float8)
LANGUAGE plpgsql STABLE AS $$
#variable_conflict use_column
BEGIN
  RETURN QUERY
  SELECT r.hour, r.day, r.collection, r.key_id, count(*),
    count(*) FILTER (WHERE NOT r.abstained AND NOT r.fallback),
    count(*) FILTER (WHERE r.abstained), count(*) FILTER (WHERE r.fallback AND NOT r.abstained),
    sum(r.up)::bigint, sum(r.down)::bigint, coalesce(sum(r.prompt_tokens), 0)::bigint,
    coalesce(sum(r.completion_tokens), 0)::bigint, coalesce(sum(r.cost_usd), 0)::float8
  FROM lore_insight_rows(changed) r
  GROUP BY 1, 2, 3, 4;
END
$$;
--> statement-breakpoint
CREATE FUNCTION lore_insight_latency(changed queries[])
RETURNS TABLE (hour smallint, day date, collection text, key_id text, stage text, bucket smallint,
  count bigint, sum_ms float8)
LANGUAGE plpgsql STABLE AS $$
#variable_conflict use_column
BEGIN
  RETURN QUERY
  SELECT l.hour, l.day, l.collection, l.key_id, l.stage, l.bucket, count(*), sum(l.value)
  FROM (SELECT r.hour, r.day, r.collection, r.key_id, s.stage,
          lore_latency_bucket(r.timings -> s.stage) AS bucket,
          CASE WHEN jsonb_typeof(r.timings -> s.stage) = 'number'
            THEN (r.timings -> s.stage)::text::float8 END AS value
        FROM lore_insight_rows(changed) r
        CROSS JOIN unnest(ARRAY['embedMs', 'retrieveMs', 'generateMs', 'totalMs']) AS s(stage)) l
  WHERE l.bucket IS NOT NULL
  GROUP BY 1, 2, 3, 4, 5, 6;
END
$$;
--> statement-breakpoint
CREATE FUNCTION lore_insight_citations(changed queries[])
RETURNS TABLE (hour smallint, day date, collection text, source_hash text, source text,
  citations bigint)
LANGUAGE plpgsql STABLE AS $$
#variable_conflict use_column
BEGIN
  RETURN QUERY
  SELECT c.hour, c.day, c.collection, md5(c.source), c.source, count(*)
  FROM (SELECT r.hour, r.day, r.collection, e.value ->> 'source' AS source
        FROM lore_insight_rows(changed) r
        CROSS JOIN LATERAL jsonb_array_elements(r.citations) AS e(value)) c
  WHERE c.source IS NOT NULL
  GROUP BY 1, 2, 3, 5;
END
$$;
--> statement-breakpoint
-- A failed ask: refused, answered by the fallback, or voted down at least once.
CREATE FUNCTION lore_insight_gap_questions(changed queries[])
RETURNS TABLE (hour smallint, collection text, day date, question_hash text, question text,
  asked bigint, refused bigint, fallback bigint, thumbs_down bigint, last_asked timestamptz)
LANGUAGE plpgsql STABLE AS $$
#variable_conflict use_column
BEGIN
  RETURN QUERY
  SELECT f.hour, f.collection, f.day, md5(f.question), f.question, count(*),
    count(*) FILTER (WHERE f.abstained), count(*) FILTER (WHERE f.fallback AND NOT f.abstained),
    count(*) FILTER (WHERE f.down > 0), max(f.created_at)
  FROM (SELECT r.hour, r.collection, r.day, lore_normalise_question(r.question) AS question,
          r.abstained, r.fallback, r.down, r.created_at
        FROM lore_insight_rows(changed) r WHERE r.abstained OR r.fallback OR r.down > 0) f
  GROUP BY 1, 2, 3, 5;
END
$$;
--> statement-breakpoint
CREATE FUNCTION lore_insight_gap_citations(changed queries[])
RETURNS TABLE (hour smallint, collection text, day date, question_hash text, source_hash text,
  source text, count bigint)
LANGUAGE plpgsql STABLE AS $$
#variable_conflict use_column
BEGIN
  RETURN QUERY
  SELECT c.hour, c.collection, c.day, md5(c.question), md5(c.source), c.source, count(*)
  FROM (SELECT r.hour, r.collection, r.day, lore_normalise_question(r.question) AS question,
          e.value ->> 'source' AS source
        FROM lore_insight_rows(changed) r
        CROSS JOIN LATERAL jsonb_array_elements(r.citations) AS e(value)
        WHERE r.abstained OR r.fallback OR r.down > 0) c
  WHERE c.source IS NOT NULL
  GROUP BY 1, 2, 3, 4, 6;
END
$$;
--> statement-breakpoint
-- Adds (direction 1) or subtracts (-1) query rows' contributions; rows sorted by key so that
-- concurrent writers lock rollup rows in one order. Rows that reach zero are dropped.
CREATE FUNCTION lore_insight_apply_queries(direction integer, changed queries[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO insight_usage_rollups AS s (hour, day, collection, key_id, questions, answered,
    refused, fallback, thumbs_up, thumbs_down, prompt_tokens, completion_tokens, cost_usd)
  SELECT u.hour, u.day, u.collection, u.key_id, direction * u.questions, direction * u.answered,
    direction * u.refused, direction * u.fallback, direction * u.thumbs_up, direction * u.thumbs_down,
    direction * u.prompt_tokens, direction * u.completion_tokens, direction * u.cost_usd
  FROM lore_insight_usage(changed) u ORDER BY 1, 2, 3, 4
  ON CONFLICT (hour, day, collection, key_id) DO UPDATE SET
    questions = s.questions + excluded.questions, answered = s.answered + excluded.answered,
    refused = s.refused + excluded.refused, fallback = s.fallback + excluded.fallback,
    thumbs_up = s.thumbs_up + excluded.thumbs_up, thumbs_down = s.thumbs_down + excluded.thumbs_down,
    prompt_tokens = s.prompt_tokens + excluded.prompt_tokens,
    completion_tokens = s.completion_tokens + excluded.completion_tokens,
    cost_usd = s.cost_usd + excluded.cost_usd;

  INSERT INTO insight_latency_rollups AS s (hour, day, collection, key_id, stage, bucket, count, sum_ms)
  SELECT l.hour, l.day, l.collection, l.key_id, l.stage, l.bucket, direction * l.count,
    direction * l.sum_ms
  FROM lore_insight_latency(changed) l ORDER BY 1, 2, 3, 4, 5, 6
  ON CONFLICT (hour, day, collection, key_id, stage, bucket) DO UPDATE SET
    count = s.count + excluded.count, sum_ms = s.sum_ms + excluded.sum_ms;

  INSERT INTO insight_citation_rollups AS s (hour, day, collection, source_hash, source, citations)
  SELECT c.hour, c.day, c.collection, c.source_hash, c.source, direction * c.citations
  FROM lore_insight_citations(changed) c ORDER BY 1, 2, 3, 4
  ON CONFLICT (hour, day, collection, source_hash) DO UPDATE SET citations = s.citations + excluded.citations;

  -- last_asked only grows: retention deletes the oldest asks first, so the latest stays.
  INSERT INTO insight_gap_question_rollups AS s (hour, collection, day, question_hash, question,
    asked, refused, fallback, thumbs_down, last_asked)
  SELECT g.hour, g.collection, g.day, g.question_hash, g.question, direction * g.asked,
    direction * g.refused, direction * g.fallback, direction * g.thumbs_down, g.last_asked
  FROM lore_insight_gap_questions(changed) g ORDER BY 1, 2, 3, 4
  ON CONFLICT (hour, collection, day, question_hash) DO UPDATE SET
    asked = s.asked + excluded.asked, refused = s.refused + excluded.refused,
    fallback = s.fallback + excluded.fallback, thumbs_down = s.thumbs_down + excluded.thumbs_down,
    last_asked = greatest(s.last_asked, excluded.last_asked);

  INSERT INTO insight_gap_citation_rollups AS s (hour, collection, day, question_hash, source_hash,
    source, count)
  SELECT c.hour, c.collection, c.day, c.question_hash, c.source_hash, c.source, direction * c.count
  FROM lore_insight_gap_citations(changed) c ORDER BY 1, 2, 3, 4, 5
  ON CONFLICT (hour, collection, day, question_hash, source_hash) DO UPDATE SET count = s.count + excluded.count;

  IF direction < 0 THEN
    -- A deleted ask's votes went with it (the feedback trigger skips asks already gone).
    DELETE FROM insight_query_votes
    WHERE query_id IN (SELECT q.id FROM unnest(changed) AS q);

    -- The grains the deleted asks counted in, whose rows may now be zero.
    DELETE FROM insight_usage_rollups WHERE questions = 0 AND (hour, day)
      IN (SELECT DISTINCT r.hour, r.day FROM lore_insight_rows(changed) r);
    DELETE FROM insight_latency_rollups WHERE count = 0 AND (hour, day)
      IN (SELECT DISTINCT r.hour, r.day FROM lore_insight_rows(changed) r);
    DELETE FROM insight_citation_rollups WHERE citations = 0 AND (hour, day)
      IN (SELECT DISTINCT r.hour, r.day FROM lore_insight_rows(changed) r);
    DELETE FROM insight_gap_question_rollups WHERE asked = 0 AND (hour, collection, day)
      IN (SELECT DISTINCT r.hour, r.collection, r.day FROM lore_insight_rows(changed) r);
    DELETE FROM insight_gap_citation_rollups WHERE count = 0 AND (hour, collection, day)
      IN (SELECT DISTINCT r.hour, r.collection, r.day FROM lore_insight_rows(changed) r);
  END IF;
END
$$;
--> statement-breakpoint
-- Adds (1) or removes (-1) votes on asks that still exist. The vote counts are updated first,
-- under their row lock, so two first thumbs-down at once cannot both count the ask as failed;
-- an ask whose first down vote arrives (or whose last one goes) joins (leaves) its question's gap.
CREATE FUNCTION lore_insight_apply_votes(direction integer, changed feedback[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  WITH deltas AS (
    SELECT f.query_id, direction * count(*) FILTER (WHERE f.rating = 'up') AS up,
      direction * count(*) FILTER (WHERE f.rating = 'down') AS down
    FROM unnest(changed) AS f GROUP BY f.query_id
  ), counted AS (
    INSERT INTO insight_query_votes AS v (query_id, up, down)
    SELECT d.query_id, d.up, d.down FROM deltas d JOIN queries q ON q.id = d.query_id
    ORDER BY 1
    ON CONFLICT (query_id) DO UPDATE SET up = v.up + excluded.up, down = v.down + excluded.down
    RETURNING v.query_id, v.down
  ), changes AS (
    SELECT g.hour, g.day, q.collection,
      coalesce(q.key_id, '') AS key_id, lore_normalise_question(q.question) AS question,
      CASE WHEN jsonb_typeof(q.citations) = 'array' THEN q.citations ELSE '[]'::jsonb END AS citations,
      q.created_at, d.up, d.down,
      (CASE WHEN c.down > 0 THEN 1 ELSE 0 END) - (CASE WHEN c.down - d.down > 0 THEN 1 ELSE 0 END) AS flip,
      NOT (q.abstained OR q.mode = 'extractive-fallback') AS answered
    FROM counted c JOIN deltas d ON d.query_id = c.query_id JOIN queries q ON q.id = c.query_id
    CROSS JOIN LATERAL lore_insight_grains(q.created_at) AS g
  ), usage AS (
    INSERT INTO insight_usage_rollups AS s (hour, day, collection, key_id, thumbs_up, thumbs_down)
    SELECT hour, day, collection, key_id, sum(up), sum(down)
    FROM changes GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
    ON CONFLICT (hour, day, collection, key_id) DO UPDATE SET
      thumbs_up = s.thumbs_up + excluded.thumbs_up, thumbs_down = s.thumbs_down + excluded.thumbs_down
    RETURNING 1
  ), gap_questions AS (
    INSERT INTO insight_gap_question_rollups AS s (hour, collection, day, question_hash, question,
      asked, refused, fallback, thumbs_down, last_asked)
    SELECT hour, collection, day, md5(question), question,
      sum(CASE WHEN answered THEN flip ELSE 0 END), 0, 0, sum(flip), max(created_at)
    FROM changes WHERE flip <> 0
    GROUP BY 1, 2, 3, 5 ORDER BY 1, 2, 3, 4
    ON CONFLICT (hour, collection, day, question_hash) DO UPDATE SET
      asked = s.asked + excluded.asked, thumbs_down = s.thumbs_down + excluded.thumbs_down,
      last_asked = greatest(s.last_asked, excluded.last_asked)
    RETURNING 1
  )
  INSERT INTO insight_gap_citation_rollups AS s (hour, collection, day, question_hash, source_hash,
    source, count)
  SELECT hour, collection, day, md5(question), md5(source), source, sum(flip)
  FROM (SELECT ch.hour, ch.collection, ch.day, ch.question, e.value ->> 'source' AS source, ch.flip
        FROM changes ch CROSS JOIN LATERAL jsonb_array_elements(ch.citations) AS e(value)
        WHERE ch.flip <> 0 AND ch.answered) c
  WHERE source IS NOT NULL
  GROUP BY 1, 2, 3, 4, 6 ORDER BY 1, 2, 3, 4, 5
  ON CONFLICT (hour, collection, day, question_hash, source_hash) DO UPDATE SET count = s.count + excluded.count;

  DELETE FROM insight_query_votes WHERE up = 0 AND down = 0
    AND query_id IN (SELECT f.query_id FROM unnest(changed) AS f);
  DELETE FROM insight_gap_question_rollups WHERE asked = 0 AND (hour, collection, day) IN (
    SELECT g.hour, q.collection, g.day
    FROM queries q CROSS JOIN LATERAL lore_insight_grains(q.created_at) AS g
    WHERE q.id IN (SELECT f.query_id FROM unnest(changed) AS f));
  DELETE FROM insight_gap_citation_rollups WHERE count = 0 AND (hour, collection, day) IN (
    SELECT g.hour, q.collection, g.day
    FROM queries q CROSS JOIN LATERAL lore_insight_grains(q.created_at) AS g
    WHERE q.id IN (SELECT f.query_id FROM unnest(changed) AS f));
END
$$;
--> statement-breakpoint
-- Recomputes every rollup from the log: the backfill below, and after a TRUNCATE of the log.
CREATE FUNCTION lore_insight_rebuild() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM insight_usage_rollups;
  DELETE FROM insight_latency_rollups;
  DELETE FROM insight_citation_rollups;
  DELETE FROM insight_gap_question_rollups;
  DELETE FROM insight_gap_citation_rollups;
  DELETE FROM insight_query_votes;
  PERFORM lore_insight_apply_queries(1, (SELECT array_agg(q) FROM queries q));
  PERFORM lore_insight_apply_votes(1, (SELECT array_agg(f) FROM feedback f));
END
$$;
--> statement-breakpoint
-- Statement-level with transition tables: one pass per statement (a group-committed batch of
-- asks, a retention batch), not per row.
CREATE FUNCTION lore_insight_queries_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM lore_insight_apply_queries(1, (SELECT array_agg(ROW(n.*)::queries) FROM inserted_queries n));
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE FUNCTION lore_insight_queries_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM lore_insight_apply_queries(-1, (SELECT array_agg(ROW(o.*)::queries) FROM deleted_queries o));
  RETURN NULL;
END
$$;
--> statement-breakpoint
-- The log is written once; an edit by hand leaves the rollups and rejoins them, votes kept.
CREATE FUNCTION lore_insight_queries_updated() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  votes insight_query_votes[];
BEGIN
  SELECT array_agg(v) INTO votes FROM insight_query_votes v
    WHERE v.query_id IN (SELECT o.id FROM deleted_queries o);
  PERFORM lore_insight_apply_queries(-1, (SELECT array_agg(ROW(o.*)::queries) FROM deleted_queries o));
  INSERT INTO insight_query_votes SELECT * FROM unnest(votes) ON CONFLICT (query_id) DO NOTHING;
  PERFORM lore_insight_apply_queries(1, (SELECT array_agg(ROW(n.*)::queries) FROM inserted_queries n));
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE FUNCTION lore_insight_votes_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM lore_insight_apply_votes(1, (SELECT array_agg(ROW(n.*)::feedback) FROM inserted_votes n));
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE FUNCTION lore_insight_votes_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM lore_insight_apply_votes(-1, (SELECT array_agg(ROW(o.*)::feedback) FROM deleted_votes o));
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE FUNCTION lore_insight_log_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM lore_insight_rebuild();
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER queries_insight_inserted AFTER INSERT ON queries
  REFERENCING NEW TABLE AS inserted_queries
  FOR EACH STATEMENT EXECUTE FUNCTION lore_insight_queries_inserted();
--> statement-breakpoint
CREATE TRIGGER queries_insight_deleted AFTER DELETE ON queries
  REFERENCING OLD TABLE AS deleted_queries
  FOR EACH STATEMENT EXECUTE FUNCTION lore_insight_queries_deleted();
--> statement-breakpoint
CREATE TRIGGER queries_insight_updated AFTER UPDATE ON queries
  REFERENCING OLD TABLE AS deleted_queries NEW TABLE AS inserted_queries
  FOR EACH STATEMENT EXECUTE FUNCTION lore_insight_queries_updated();
--> statement-breakpoint
CREATE TRIGGER feedback_insight_inserted AFTER INSERT ON feedback
  REFERENCING NEW TABLE AS inserted_votes
  FOR EACH STATEMENT EXECUTE FUNCTION lore_insight_votes_inserted();
--> statement-breakpoint
CREATE TRIGGER feedback_insight_deleted AFTER DELETE ON feedback
  REFERENCING OLD TABLE AS deleted_votes
  FOR EACH STATEMENT EXECUTE FUNCTION lore_insight_votes_deleted();
--> statement-breakpoint
CREATE TRIGGER queries_insight_truncated AFTER TRUNCATE ON queries
  FOR EACH STATEMENT EXECUTE FUNCTION lore_insight_log_truncated();
--> statement-breakpoint
CREATE TRIGGER feedback_insight_truncated AFTER TRUNCATE ON feedback
  FOR EACH STATEMENT EXECUTE FUNCTION lore_insight_log_truncated();
--> statement-breakpoint
-- Backfill. Writers wait from here to the end of the migration's transaction, so no ask or vote
-- is counted twice (by a trigger and the backfill) or missed (by both).
LOCK TABLE queries, feedback IN SHARE MODE;
--> statement-breakpoint
SELECT lore_insight_rebuild();
