-- Keeps collection_statistics exact from inside the database: every statement that writes chunks
-- adds its deltas in the same transaction, so a crash or rollback mid-ingest takes them back too,
-- whichever process (API, worker, CLI, a manual psql session) wrote the rows.
CREATE FUNCTION lore_add_chunk_statistics(collection_ids text[], chunk_deltas bigint[], token_deltas bigint[])
RETURNS void LANGUAGE sql AS $$
  -- One row per connection (shard) and collection: concurrent writers rarely touch the same row.
  -- The join skips a collection this transaction is deleting (the chunks go in its cascade).
  INSERT INTO collection_statistics AS s (collection_id, shard, chunks, tokens)
  SELECT delta.collection_id, pg_backend_pid() % 16, sum(delta.chunks), sum(delta.tokens)
  FROM unnest(collection_ids, chunk_deltas, token_deltas) AS delta(collection_id, chunks, tokens)
  JOIN collections c ON c.id = delta.collection_id
  GROUP BY delta.collection_id
  ORDER BY delta.collection_id
  ON CONFLICT (collection_id, shard) DO UPDATE
    SET chunks = s.chunks + excluded.chunks, tokens = s.tokens + excluded.tokens
$$;
--> statement-breakpoint
-- Statement-level with transition tables: one upsert per statement, not per chunk row.
CREATE FUNCTION lore_count_inserted_chunks() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM lore_add_chunk_statistics(array_agg(collection_id), array_agg(chunks), array_agg(tokens))
  FROM (SELECT collection_id, count(*) AS chunks, sum(token_count) AS tokens
        FROM inserted_chunks GROUP BY collection_id) totals;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE FUNCTION lore_count_deleted_chunks() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM lore_add_chunk_statistics(array_agg(collection_id), array_agg(-chunks), array_agg(-tokens))
  FROM (SELECT collection_id, count(*) AS chunks, sum(token_count) AS tokens
        FROM deleted_chunks GROUP BY collection_id) totals;
  RETURN NULL;
END
$$;
--> statement-breakpoint
-- An update that moves a chunk or changes its token count counts as a delete plus an insert.
CREATE FUNCTION lore_count_updated_chunks() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM lore_add_chunk_statistics(array_agg(collection_id), array_agg(chunks), array_agg(tokens))
  FROM (SELECT collection_id, sum(chunks) AS chunks, sum(tokens) AS tokens
        FROM (SELECT collection_id, 1 AS chunks, token_count AS tokens FROM inserted_chunks
              UNION ALL
              SELECT collection_id, -1, -token_count FROM deleted_chunks) changed
        GROUP BY collection_id) totals;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE FUNCTION lore_reset_chunk_statistics() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM collection_statistics;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER chunks_count_inserted AFTER INSERT ON chunks
  REFERENCING NEW TABLE AS inserted_chunks
  FOR EACH STATEMENT EXECUTE FUNCTION lore_count_inserted_chunks();
--> statement-breakpoint
CREATE TRIGGER chunks_count_deleted AFTER DELETE ON chunks
  REFERENCING OLD TABLE AS deleted_chunks
  FOR EACH STATEMENT EXECUTE FUNCTION lore_count_deleted_chunks();
--> statement-breakpoint
CREATE TRIGGER chunks_count_updated AFTER UPDATE ON chunks
  REFERENCING OLD TABLE AS deleted_chunks NEW TABLE AS inserted_chunks
  FOR EACH STATEMENT EXECUTE FUNCTION lore_count_updated_chunks();
--> statement-breakpoint
CREATE TRIGGER chunks_reset_statistics AFTER TRUNCATE ON chunks
  FOR EACH STATEMENT EXECUTE FUNCTION lore_reset_chunk_statistics();
--> statement-breakpoint
-- Backfill. Writers wait from here to the end of the migration's transaction, so no chunk is
-- counted twice (by a trigger and the backfill) or missed (by both).
LOCK TABLE chunks IN SHARE MODE;
--> statement-breakpoint
INSERT INTO collection_statistics (collection_id, shard, chunks, tokens)
SELECT collection_id, 0, count(*), sum(token_count) FROM chunks GROUP BY collection_id;
