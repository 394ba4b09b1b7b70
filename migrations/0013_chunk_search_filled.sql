-- chunks.search stops being a generated column: the writer fills it, so a bulk ingest can compute
-- the full-text vectors on another connection while a batch is being embedded instead of inside
-- the one serial COPY after it (packages/db/src/chunk-rows.ts). Existing rows keep theirs.
ALTER TABLE "chunks" ALTER COLUMN "search" DROP EXPRESSION;
--> statement-breakpoint
-- The generated column's definition, kept for every writer that leaves search NULL (a manual
-- INSERT, a COPY row without one) and for updates of the text: the same vector as before 0013.
CREATE FUNCTION lore_chunk_search() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.search IS NULL OR (TG_OP = 'UPDATE' AND NEW.search IS NOT DISTINCT FROM OLD.search) THEN
    NEW.search := to_tsvector('english', NEW.heading || ' ' || NEW.text);
  END IF;
  RETURN NEW;
END
$$;
--> statement-breakpoint
CREATE TRIGGER chunks_search BEFORE INSERT OR UPDATE OF heading, text ON chunks
  FOR EACH ROW EXECUTE FUNCTION lore_chunk_search();
