// The bulk-load index plan: a load large enough drops the HNSW (and full-text GIN) index and builds it once after its last write.
import {
  analyzeChunks,
  DEFAULT_VECTOR_INDEX,
  dropFullTextIndex,
  dropVectorIndex,
  ensureFullTextIndex,
  ensureVectorIndex,
  type LoreDb,
  outgrownVectorIndex,
  queryRows,
  rebuildVectorIndex,
  vectorRows,
} from "@lore/db";
import { sql } from "drizzle-orm";
import type { Collection } from "../collections/collections";
import type { LoreContext } from "../context";
import { isChanged, type PreparedDocument } from "./prepare-document";

export const DEFAULT_BULK_INDEX_MIN_CHUNKS = 1000;

/** Rebuilds the full-text index if an earlier bulk load died between dropping and building it. */
export async function restoreFullTextIndex(context: LoreContext): Promise<void> {
  await ensureFullTextIndex(context.db, buildMemoryMb(context));
}

/**
 * Decides, at the first batch that writes chunks, whether this ingest is a bulk load: then the
 * HNSW index of the collection's dimension is dropped and built once after the last write.
 */
export class BulkIndexPlan {
  private decided = false;
  private deferred = false;
  private fullTextDeferred = false;
  private rebuildChecked = false;

  constructor(
    private readonly context: LoreContext,
    private readonly collection: Collection,
    private readonly options: { minChunks: number; newSources: number },
  ) {}

  async beforeWrite(prepared: readonly PreparedDocument[]): Promise<void> {
    if (this.decided) return;
    const changed = prepared.filter(isChanged);
    if (changed.length === 0) return;
    this.decided = true;
    const perDocument =
      changed.reduce((total, document) => total + document.pieces.length, 0) / changed.length;
    const expected = Math.round(perDocument * Math.max(this.options.newSources, changed.length));
    if (expected < this.options.minChunks) return;
    const { db } = this.context;
    if ((await storedChunks(db, expected)) <= expected) {
      await dropFullTextIndex(db);
      this.fullTextDeferred = true;
    }
    const dimensions = this.collection.embeddingDimensions;
    if ((await vectorRows(db, dimensions)) > expected) return;
    await dropVectorIndex(db, dimensions);
    this.deferred = true;
  }

  /**
   * Builds what beforeWrite dropped. On Postgres the two builds run at once on two connections
   * (both take a SHARE lock, which do not conflict), so the GIN build hides behind the longer
   * HNSW one; PGlite's one connection runs them in turn. Both are attempted even if one fails.
   */
  async afterWrites(): Promise<void> {
    const builds: Promise<void>[] = [];
    if (this.fullTextDeferred) {
      this.fullTextDeferred = false;
      builds.push(ensureFullTextIndex(this.context.db, buildMemoryMb(this.context)));
    }
    if (this.deferred) {
      this.deferred = false;
      builds.push(
        ensureVectorIndex(
          this.context.db,
          this.collection.embeddingDimensions,
          this.context.vectorIndex,
        ),
      );
    }
    const failure = (await Promise.allSettled(builds)).find(
      (outcome): outcome is PromiseRejectedResult => outcome.status === "rejected",
    );
    if (failure) throw failure.reason;
    // A bulk load's planner statistics, now rather than at autovacuum's next round.
    if (builds.length > 0) await analyzeChunks(this.context.db);
    else if (this.decided) await this.rebuildIfOutgrown();
  }

  /**
   * An index grown by ingests too small to rebuild it keeps the graph it was built with, which
   * loses recall as its vectors multiply (docs/scaling.md): once they call for a denser graph, the
   * ingest that wrote the last of them builds that, beside the index that keeps serving searches.
   */
  private async rebuildIfOutgrown(): Promise<void> {
    if (this.rebuildChecked) return;
    this.rebuildChecked = true;
    const { db, vectorIndex } = this.context;
    const dimensions = this.collection.embeddingDimensions;
    const outgrown = await outgrownVectorIndex(db, dimensions, vectorIndex);
    // The graph it found wanted, so the rebuild does not count the vectors again.
    if (outgrown) await rebuildVectorIndex(db, dimensions, { ...vectorIndex, ...outgrown.wanted });
  }
}

/** The memory an index build may use (LORE_HNSW_BUILD_MEMORY_MB serves the GIN build too). */
function buildMemoryMb(context: LoreContext): number {
  return context.vectorIndex?.buildMemoryMb ?? DEFAULT_VECTOR_INDEX.buildMemoryMb;
}

/** All chunks of every collection, counted up to `cap` + 1: what the GIN index holds. */
async function storedChunks(db: LoreDb, cap: number): Promise<number> {
  const [row] = await queryRows<{ total: number }>(
    db,
    sql`SELECT count(*)::int AS total FROM (SELECT 1 FROM chunks LIMIT ${cap + 1}) capped`,
  );
  return row?.total ?? 0;
}
