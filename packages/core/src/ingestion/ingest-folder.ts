// Ingests every loadable file under a folder into a collection; with sync, removes documents whose files are gone.
import { stat } from "node:fs/promises";
import path from "node:path";
import { chunks, documents, type LoreDb } from "@lore/db";
import { and, count, eq, inArray } from "drizzle-orm";
import { z } from "zod";
import { ensureCollection } from "../collections/collections";
import type { LoreContext } from "../context";
import { LoreError } from "../errors";
import type { ChunkingOptions } from "./chunk-markdown";
import {
  type ListFilesOptions,
  type LoadFileOptions,
  listFiles,
  loadFile,
  type SkippedFile,
  sourceFor,
} from "./load-folder";
import { commitDocument, type PreparedDocument, prepareDocument } from "./write-document";

export interface IngestFolderOptions extends ListFilesOptions, LoadFileOptions {
  collection: string;
  /** Delete documents of the collection that this folder no longer has. */
  sync?: boolean;
  chunking?: ChunkingOptions;
  /** Documents read and embedded ahead of the one being written (they are written in file order). */
  concurrency?: number;
  signal?: AbortSignal;
  onProgress?: (progress: IngestProgress) => void;
}

export const IngestProgress = z.object({
  /** Files the walk found (known up front, so a progress bar has a total). */
  filesSeen: z.number().int(),
  /** Files written or found unchanged. */
  filesProcessed: z.number().int(),
  /** Files skipped with a reason (unsupported, binary, empty, too large, undecodable). */
  filesSkipped: z.number().int(),
  /** Files that could not be read at all (also listed in the summary's skipped files). */
  filesFailed: z.number().int(),
  chunksEmbedded: z.number().int(),
  chunksWritten: z.number().int(),
  /** The file last finished. */
  source: z.string().optional(),
});
export type IngestProgress = z.infer<typeof IngestProgress>;

export const IngestSummary = z.object({
  collection: z.string(),
  documents: z.object({
    added: z.number().int(),
    updated: z.number().int(),
    unchanged: z.number().int(),
    deleted: z.number().int(),
  }),
  chunks: z.object({ added: z.number().int(), deleted: z.number().int() }),
  textsEmbedded: z.number().int(),
  skipped: z.array(z.object({ source: z.string(), reason: z.string() })),
  ms: z.number(),
});
export type IngestSummary = z.infer<typeof IngestSummary>;

export const DEFAULT_INGEST_CONCURRENCY = 4;
// Enough ids per statement to be quick, few enough to stay far below Postgres' parameter limit.
const DELETE_BATCH = 1000;

export async function ingestFolder(
  context: LoreContext,
  folder: string,
  options: IngestFolderOptions,
): Promise<IngestSummary> {
  const started = performance.now();
  const root = path.resolve(folder);
  const info = await stat(root).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new LoreError("invalid_request", `Not a folder: ${folder}`);
  }
  const collection = await ensureCollection(context.db, options.collection, context.embedder);
  const summary: IngestSummary = {
    collection: collection.name,
    documents: { added: 0, updated: 0, unchanged: 0, deleted: 0 },
    chunks: { added: 0, deleted: 0 },
    textsEmbedded: 0,
    skipped: [],
    ms: 0,
  };
  // Paths only: each file's content is read when its turn comes and dropped once written.
  const files = await listFiles(root, options);
  const progress: IngestProgress = {
    filesSeen: files.length,
    filesProcessed: 0,
    filesSkipped: 0,
    filesFailed: 0,
    chunksEmbedded: 0,
    chunksWritten: 0,
  };
  options.onProgress?.({ ...progress });
  const seen = new Set<string>();
  // Stops the files still being prepared when one fails, without touching the caller's signal.
  const failed = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, failed.signal]) : failed.signal;
  const prepare = async (file: string): Promise<PreparedDocument | SkippedFile> => {
    signal.throwIfAborted();
    const loaded = await loadFile(root, file, options).catch(
      (error: unknown): SkippedFile => ({
        source: sourceFor(root, file),
        reason: `could not be read: ${error instanceof Error ? error.message : String(error)}`,
      }),
    );
    if ("reason" in loaded) return loaded;
    seen.add(loaded.source);
    return prepareDocument(context.db, context.embedder, collection, loaded, {
      ...(options.chunking ? { chunking: options.chunking } : {}),
      signal,
    });
  };
  const finish = async (ready: PreparedDocument | SkippedFile, file: string): Promise<void> => {
    if ("reason" in ready) {
      summary.skipped.push(ready);
      progress.filesSkipped += 1;
      if (ready.reason.startsWith("could not be read")) progress.filesFailed += 1;
      progress.source = ready.source;
    } else {
      const result = await commitDocument(context.db, collection, ready, signal);
      summary.documents[result.outcome] += 1;
      summary.chunks.added += result.chunksAdded;
      summary.chunks.deleted += result.chunksDeleted;
      summary.textsEmbedded += result.textsEmbedded;
      progress.filesProcessed += 1;
      progress.chunksEmbedded += result.textsEmbedded;
      progress.chunksWritten += result.chunksAdded;
      progress.source = sourceFor(root, file);
    }
    options.onProgress?.({ ...progress });
  };
  try {
    await inOrder(files, options.concurrency ?? DEFAULT_INGEST_CONCURRENCY, prepare, finish);
  } catch (error) {
    failed.abort(error);
    throw error;
  }
  if (options.sync) {
    options.signal?.throwIfAborted();
    const removed = await deleteDocumentsExcept(context.db, collection.id, seen);
    summary.documents.deleted = removed.documents;
    summary.chunks.deleted += removed.chunks;
  }
  summary.skipped.sort((left, right) => (left.source < right.source ? -1 : 1));
  summary.ms = Math.round(performance.now() - started);
  return summary;
}

/**
 * Prepares up to `window` items ahead while finishing them strictly in order: the slow part
 * (reading, embedding) overlaps the writes, rows land in file order whatever finishes first (so
 * the index and any tie-breaks are the same on every run), and at most `window` documents are
 * held in memory.
 */
async function inOrder<Item, Ready>(
  items: readonly Item[],
  window: number,
  prepare: (item: Item) => Promise<Ready>,
  finish: (ready: Ready, item: Item) => Promise<void>,
): Promise<void> {
  const pending: Promise<Ready>[] = [];
  let next = 0;
  const startNext = () => {
    const started = prepare(items[next++] as Item);
    // Failures surface when their turn comes; until then they must not count as unhandled.
    started.catch(() => {});
    pending.push(started);
  };
  while (next < items.length && pending.length < Math.max(1, window)) startNext();
  for (let index = 0; index < items.length; index++) {
    const ready = await (pending.shift() as Promise<Ready>);
    if (next < items.length) startNext();
    await finish(ready, items[index] as Item);
  }
}

/** Deletes the collection's documents whose sources are not in `keep`, with their chunks. */
async function deleteDocumentsExcept(
  db: LoreDb,
  collectionId: string,
  keep: ReadonlySet<string>,
): Promise<{ documents: number; chunks: number }> {
  const existing = await db
    .select({ id: documents.id, source: documents.source })
    .from(documents)
    .where(eq(documents.collectionId, collectionId));
  const doomed = existing.filter((row) => !keep.has(row.source)).map((row) => row.id);
  if (doomed.length === 0) return { documents: 0, chunks: 0 };
  return db.transaction(async (transaction) => {
    let documentTotal = 0;
    let chunkTotal = 0;
    for (let start = 0; start < doomed.length; start += DELETE_BATCH) {
      const batch = doomed.slice(start, start + DELETE_BATCH);
      const [chunkCount] = await transaction
        .select({ total: count() })
        .from(chunks)
        .where(inArray(chunks.documentId, batch));
      const deleted = await transaction
        .delete(documents)
        .where(and(eq(documents.collectionId, collectionId), inArray(documents.id, batch)))
        .returning({ id: documents.id });
      documentTotal += deleted.length;
      chunkTotal += chunkCount?.total ?? 0;
    }
    return { documents: documentTotal, chunks: chunkTotal };
  });
}
