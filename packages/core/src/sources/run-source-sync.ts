// Runs one source's sync inside its ingest job (the job processor calls it) and records the outcome on the source.
import { sources } from "@lore/db";
import { eq, sql } from "drizzle-orm";
import type { LoreContext } from "../context";
import { LoreError } from "../errors";
import { ingestFolder } from "../ingestion/ingest-folder";
import type { IngestSummary } from "../ingestion/schemas";
import { syncGitSource } from "./git-sync";
import type { SourceSyncSummary } from "./schemas";
import { sourceConfig } from "./sources";
import type { SourceSyncContext } from "./sync-options";
import { syncWebSource } from "./web-sync";

export async function runSourceSync(
  context: LoreContext,
  sourceId: string,
  sync: SourceSyncContext,
): Promise<SourceSyncSummary> {
  const [row] = await context.db.select().from(sources).where(eq(sources.id, sourceId));
  if (!row) throw new LoreError("invalid_request", `Source ${sourceId} no longer exists.`);
  await context.db
    .update(sources)
    .set({ lastStatus: "running", ...(sync.jobId ? { lastJobId: sync.jobId } : {}) })
    .where(eq(sources.id, sourceId));
  try {
    let summary: IngestSummary;
    let ref: string | undefined;
    let notModified: number | undefined;
    if (row.kind === "git") {
      const config = sourceConfig("git", row.config);
      ({ summary, ref } = await syncGitSource(
        context,
        { id: row.id, collection: row.collection, config, lastSyncedRef: row.lastSyncedRef },
        sync,
      ));
    } else if (row.kind === "web") {
      const config = sourceConfig("web", row.config);
      ({ summary, notModified } = await syncWebSource(
        context,
        { id: row.id, collection: row.collection, config },
        sync,
      ));
    } else {
      const config = sourceConfig("folder", row.config);
      summary = await ingestFolder(context, config.path, {
        ...sync.ingest,
        collection: row.collection,
        sync: true,
        ...(config.include ? { include: config.include } : {}),
        ...(config.exclude ? { exclude: config.exclude } : {}),
        ...(sync.signal ? { signal: sync.signal } : {}),
        ...(sync.onProgress ? { onProgress: sync.onProgress } : {}),
      });
    }
    const result: SourceSyncSummary = {
      ...summary,
      source: row.name,
      ...(ref ? { ref } : {}),
      ...(notModified !== undefined ? { notModified } : {}),
    };
    await context.db
      .update(sources)
      .set({
        lastStatus: "succeeded",
        lastError: null,
        lastSyncAt: sql`now()`,
        ...(ref ? { lastSyncedRef: ref } : {}),
        counts: {
          documents: summary.documents,
          chunks: summary.chunks,
          skipped: summary.skipped.length,
          ...(notModified !== undefined ? { notModified } : {}),
        },
        updatedAt: sql`now()`,
      })
      .where(eq(sources.id, sourceId));
    return result;
  } catch (error) {
    if (!sync.signal?.aborted) {
      const message = error instanceof Error ? error.message : String(error);
      await context.db
        .update(sources)
        .set({ lastStatus: "failed", lastError: message.slice(0, 2000), updatedAt: sql`now()` })
        .where(eq(sources.id, sourceId))
        .catch(() => {});
    }
    throw error;
  }
}
