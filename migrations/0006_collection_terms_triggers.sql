-- Keeps collection_terms exact from inside the database, as 0004 does collection_statistics: every
-- statement that writes chunks adds its lexemes' document-frequency deltas in the same
-- transaction, whichever process wrote the rows. A tsvector holds each lexeme once, so a chunk
-- counts once per lexeme; tsvector_to_array skips the positions BM25 does not need here.
-- The shard (0-15) this transaction writes its deltas to: one no other open transaction holds
-- (a transaction-level advisory lock), kept for the rest of the transaction. So concurrent
-- writers never wait on each other's rows of a common word, and cannot deadlock on them either
-- (a transaction writing several statements would otherwise lock lexeme rows out of order).
-- Past 16 concurrent writers, the 17th waits for a shard.
CREATE FUNCTION lore_term_shard() RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  held text := current_setting('lore.term_shard', true);
  first integer := pg_backend_pid() % 16;
  shard integer;
BEGIN
  IF held IS NOT NULL AND held <> '' THEN
    RETURN held::integer;
  END IF;
  FOR step IN 0..15 LOOP
    shard := (first + step) % 16;
    EXIT WHEN pg_try_advisory_xact_lock(1819243890, shard);
    shard := NULL;
  END LOOP;
  IF shard IS NULL THEN
    shard := first;
    PERFORM pg_advisory_xact_lock(1819243890, shard);
  END IF;
  PERFORM set_config('lore.term_shard', shard::text, true);
  RETURN shard;
END
$$;
--> statement-breakpoint
CREATE FUNCTION lore_count_inserted_terms() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  writer_shard integer := lore_term_shard();
BEGIN
  -- Sorted anyway, so that even writers sharing a shard lock its rows in one order per statement.
  INSERT INTO collection_terms AS t (collection_id, lexeme, shard, chunks)
  SELECT i.collection_id, term.lexeme, writer_shard, count(*)
  FROM inserted_chunks i CROSS JOIN LATERAL unnest(tsvector_to_array(i.search)) AS term(lexeme)
  GROUP BY i.collection_id, term.lexeme
  ORDER BY i.collection_id, term.lexeme
  ON CONFLICT (collection_id, lexeme, shard) DO UPDATE SET chunks = t.chunks + excluded.chunks;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE FUNCTION lore_count_changed_terms() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  writer_shard integer := lore_term_shard();
BEGIN
  -- The join skips a collection this transaction is deleting (its rows go in the cascade).
  INSERT INTO collection_terms AS t (collection_id, lexeme, shard, chunks)
  SELECT changed.collection_id, changed.lexeme, writer_shard, sum(changed.chunks)
  FROM (SELECT collection_id, term.lexeme, 1 AS chunks
        FROM inserted_chunks CROSS JOIN LATERAL unnest(tsvector_to_array(search)) AS term(lexeme)
        UNION ALL
        SELECT collection_id, term.lexeme, -1
        FROM deleted_chunks CROSS JOIN LATERAL unnest(tsvector_to_array(search)) AS term(lexeme)) changed
  JOIN collections c ON c.id = changed.collection_id
  GROUP BY changed.collection_id, changed.lexeme
  HAVING sum(changed.chunks) <> 0
  ORDER BY changed.collection_id, changed.lexeme
  ON CONFLICT (collection_id, lexeme, shard) DO UPDATE SET chunks = t.chunks + excluded.chunks;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE FUNCTION lore_count_deleted_terms() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  writer_shard integer := lore_term_shard();
BEGIN
  INSERT INTO collection_terms AS t (collection_id, lexeme, shard, chunks)
  SELECT d.collection_id, term.lexeme, writer_shard, -count(*)
  FROM deleted_chunks d CROSS JOIN LATERAL unnest(tsvector_to_array(d.search)) AS term(lexeme)
  JOIN collections c ON c.id = d.collection_id
  GROUP BY d.collection_id, term.lexeme
  ORDER BY d.collection_id, term.lexeme
  ON CONFLICT (collection_id, lexeme, shard) DO UPDATE SET chunks = t.chunks + excluded.chunks;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE FUNCTION lore_reset_term_statistics() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM collection_terms;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER chunks_count_inserted_terms AFTER INSERT ON chunks
  REFERENCING NEW TABLE AS inserted_chunks
  FOR EACH STATEMENT EXECUTE FUNCTION lore_count_inserted_terms();
--> statement-breakpoint
CREATE TRIGGER chunks_count_deleted_terms AFTER DELETE ON chunks
  REFERENCING OLD TABLE AS deleted_chunks
  FOR EACH STATEMENT EXECUTE FUNCTION lore_count_deleted_terms();
--> statement-breakpoint
CREATE TRIGGER chunks_count_updated_terms AFTER UPDATE ON chunks
  REFERENCING OLD TABLE AS deleted_chunks NEW TABLE AS inserted_chunks
  FOR EACH STATEMENT EXECUTE FUNCTION lore_count_changed_terms();
--> statement-breakpoint
CREATE TRIGGER chunks_reset_term_statistics AFTER TRUNCATE ON chunks
  FOR EACH STATEMENT EXECUTE FUNCTION lore_reset_term_statistics();
--> statement-breakpoint
-- Backfill. Writers wait from here to the end of the migration's transaction, so no chunk is
-- counted twice (by a trigger and the backfill) or missed (by both).
LOCK TABLE chunks IN SHARE MODE;
--> statement-breakpoint
INSERT INTO collection_terms (collection_id, lexeme, shard, chunks)
SELECT c.collection_id, term.lexeme, 0, count(*)
FROM chunks c CROSS JOIN LATERAL unnest(tsvector_to_array(c.search)) AS term(lexeme)
GROUP BY c.collection_id, term.lexeme;
