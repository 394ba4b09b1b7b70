-- A gap's last_asked is a maximum, which a subtraction cannot lower: when the latest failed ask of
-- a gap row leaves it (a vote withdrawn, an edit by hand, a delete), the row takes the latest
-- failed ask that remains in its hour, day or week from the log. Only rows whose last_asked was a
-- removed ask's are read again; retention, which removes the oldest asks, rarely touches one
-- without emptying it.
CREATE FUNCTION lore_insight_refresh_last_asked(removed queries[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE insight_gap_question_rollups s SET last_asked = latest.created_at
  FROM (SELECT DISTINCT r.hour, r.collection, r.day, md5(lore_normalise_question(r.question)) AS question_hash,
          r.created_at,
          (r.day::timestamp + CASE WHEN r.hour < 24 THEN make_interval(hours => r.hour) ELSE interval '0' END)
            AT TIME ZONE 'UTC' AS starts,
          CASE WHEN r.hour < 24 THEN interval '1 hour' WHEN r.hour = 24 THEN interval '1 day'
            ELSE interval '7 days' END AS length
        FROM lore_insight_rows(removed) r) r
  CROSS JOIN LATERAL (
    SELECT max(q.created_at) AS created_at
    FROM queries q LEFT JOIN insight_query_votes v ON v.query_id = q.id
    WHERE q.collection = r.collection AND q.created_at >= r.starts AND q.created_at < r.starts + r.length
      AND md5(lore_normalise_question(q.question)) = r.question_hash
      AND (q.abstained OR q.mode = 'extractive-fallback' OR coalesce(v.down, 0) > 0)
  ) latest
  WHERE s.hour = r.hour AND s.collection = r.collection AND s.day = r.day
    AND s.question_hash = r.question_hash AND s.last_asked = r.created_at
    AND latest.created_at IS NOT NULL AND latest.created_at <> s.last_asked;
END
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION lore_insight_queries_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  removed queries[];
BEGIN
  SELECT array_agg(ROW(o.*)::queries) INTO removed FROM deleted_queries o;
  PERFORM lore_insight_apply_queries(-1, removed);
  PERFORM lore_insight_refresh_last_asked(removed);
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION lore_insight_queries_updated() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  votes insight_query_votes[];
  removed queries[];
BEGIN
  SELECT array_agg(v) INTO votes FROM insight_query_votes v
    WHERE v.query_id IN (SELECT o.id FROM deleted_queries o);
  SELECT array_agg(ROW(o.*)::queries) INTO removed FROM deleted_queries o;
  PERFORM lore_insight_apply_queries(-1, removed);
  INSERT INTO insight_query_votes SELECT * FROM unnest(votes) ON CONFLICT (query_id) DO NOTHING;
  PERFORM lore_insight_apply_queries(1, (SELECT array_agg(ROW(n.*)::queries) FROM inserted_queries n));
  PERFORM lore_insight_refresh_last_asked(removed);
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION lore_insight_votes_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM lore_insight_apply_votes(-1, (SELECT array_agg(ROW(o.*)::feedback) FROM deleted_votes o));
  PERFORM lore_insight_refresh_last_asked(
    (SELECT array_agg(q) FROM queries q WHERE q.id IN (SELECT o.query_id FROM deleted_votes o)));
  RETURN NULL;
END
$$;
