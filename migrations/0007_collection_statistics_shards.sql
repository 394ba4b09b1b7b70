-- collection_statistics' writers take their shard from lore_term_shard() (0006) instead of
-- pg_backend_pid() % 16. Two open transactions whose backends shared pid % 16 wrote the same
-- statistics row, so past 16 concurrent writers one could hold that row while waiting for a term
-- shard the other held: a deadlock. Now a transaction's statistics and term rows sit in the one
-- shard it alone holds, so writers never wait on each other's rows of either table.
CREATE OR REPLACE FUNCTION lore_add_chunk_statistics(collection_ids text[], chunk_deltas bigint[], token_deltas bigint[])
RETURNS void LANGUAGE sql AS $$
  -- The join skips a collection this transaction is deleting (the chunks go in its cascade).
  INSERT INTO collection_statistics AS s (collection_id, shard, chunks, tokens)
  SELECT delta.collection_id, lore_term_shard(), sum(delta.chunks), sum(delta.tokens)
  FROM unnest(collection_ids, chunk_deltas, token_deltas) AS delta(collection_id, chunks, tokens)
  JOIN collections c ON c.id = delta.collection_id
  GROUP BY delta.collection_id
  ORDER BY delta.collection_id
  ON CONFLICT (collection_id, shard) DO UPDATE
    SET chunks = s.chunks + excluded.chunks, tokens = s.tokens + excluded.tokens
$$;
