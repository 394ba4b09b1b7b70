// Ingests every loadable file under a folder into a collection; with sync, removes documents whose files are gone.
import { stat } from "node:fs/promises";
import path from "node:path";
import { writesChunksByCopy } from "@lore/db";
import pLimit from "p-limit";
import { ensureCollection } from "../collections/collections";
import type { LoreContext } from "../context";
import { LoreError } from "../errors";
import {
  BulkIndexPlan,
  DEFAULT_BULK_INDEX_MIN_CHUNKS,
  restoreFullTextIndex,
} from "./bulk-index-plan";
import type { ChunkingOptions } from "./chunk-markdown";
import { commitDocumentsIsolated, deleteDocumentsExcept } from "./commit-document";
import { embedBatchSize, embedDocuments, embeddingBatches } from "./embed-chunks";
import { attachFullTextVectors } from "./full-text-ahead";
import { IngestReport } from "./ingest-report";
import { type ListFilesOptions, type LoadFileOptions, listFiles, sourceFor } from "./load-folder";
import { mapInOrder } from "./map-in-order";
import { preparedOf, prepareFile, storedDocuments } from "./prepare-document";
import type { IngestProgress, IngestSummary } from "./schemas";

export interface IngestFolderOptions extends ListFilesOptions, LoadFileOptions {
  collection: string;
  /** Delete documents of the collection that this folder no longer has. */
  sync?: boolean;
  chunking?: ChunkingOptions;
  /** Files read and chunked ahead of the batch being embedded (they are written in file order). */
  concurrency?: number;
  /** Texts per embedding request, across documents; at most the embedder's maxBatch (the default). */
  embedBatchSize?: number;
  /** Embedding requests in flight at once, overlapped with the database writes. */
  embedConcurrency?: number;
  /**
   * A load expected to add at least this many chunks, and at least as many as the HNSW index
   * already holds, drops the index and builds it once at the end: much cheaper than growing the
   * graph row by row. The full-text GIN index likewise when the load is at least as large as the
   * whole table. Searches stay correct meanwhile (scans).
   */
  bulkIndexMinChunks?: number;
  signal?: AbortSignal;
  onProgress?: (progress: IngestProgress) => void;
}

export const DEFAULT_INGEST_CONCURRENCY = 4;
// Enough requests in flight to stay ahead of the writes; more only holds more vectors in memory
// (measured: 8 instead of 2 took the worker from 536 to 982 MiB and was no faster, bench/README.md).
export const DEFAULT_EMBED_CONCURRENCY = 4;
// Embedded batches held for the writes, per request in flight: the embedding of later batches
// overlaps the commits of earlier ones. Each holds ~1,000 vectors (~6 MB at 1,536 dimensions).
const EMBEDDED_AHEAD = 2;

/**
 * The pipeline: list the folder, then per file prepare (read, skip when unchanged, chunk), group
 * the files into embedding batches, embed each batch, and commit it in one transaction, in file
 * order; reading and embedding run ahead of the writes. A sync then deletes what the folder lost.
 */
export async function ingestFolder(
  context: LoreContext,
  folder: string,
  options: IngestFolderOptions,
): Promise<IngestSummary> {
  const started = performance.now();
  const root = await existingFolder(folder);
  const { db, embedder } = context;
  const collection = await ensureCollection(context, options.collection);
  await restoreFullTextIndex(context);
  const report = new IngestReport(collection.name, root, options.onProgress);
  // Paths only: each file's content is read when its turn comes and dropped once written.
  const { files, stored } = await report.timed("list", async () => {
    const listed = await listFiles(root, options);
    return { files: listed, stored: await storedDocuments(db, collection.id) };
  });
  report.listed(files.length);
  const seen = new Set<string>();
  // Stops the files still being prepared when one fails, without touching the caller's signal.
  const failed = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, failed.signal]) : failed.signal;
  const batchSize = embedBatchSize(embedder, options.embedBatchSize);
  const embedConcurrency = options.embedConcurrency ?? DEFAULT_EMBED_CONCURRENCY;
  const limit = pLimit(Math.max(1, embedConcurrency));
  // On Postgres the full-text vectors are computed on another connection while their batch is
  // embedded (PGlite's one connection would only queue them before the writes).
  const fullTextAhead = await writesChunksByCopy(db);
  const index = new BulkIndexPlan(context, collection, {
    minChunks: options.bulkIndexMinChunks ?? DEFAULT_BULK_INDEX_MIN_CHUNKS,
    newSources: files.filter((file) => !stored.has(sourceFor(root, file))).length,
  });
  try {
    const read = mapInOrder(files, options.concurrency ?? DEFAULT_INGEST_CONCURRENCY, (file) =>
      report.timed("read", () =>
        prepareFile(db, collection, root, file, { ...options, stored, seen, signal }),
      ),
    );
    // Batches are embedded up to EMBEDDED_AHEAD × the request concurrency ahead of the writes
    // (requests in flight stay within `limit`), so the embedder is kept busy while earlier
    // batches commit, instead of waiting for each write to free a slot.
    const embedded = mapInOrder(
      embeddingBatches(read, batchSize),
      embedConcurrency * EMBEDDED_AHEAD,
      (batch) =>
        report.timed("embed", async () => {
          const prepared = preparedOf(batch);
          await Promise.all([
            embedDocuments(embedder, prepared, { batchSize, limit, signal }),
            fullTextAhead ? attachFullTextVectors(db, prepared) : undefined,
          ]);
          return batch;
        }),
    );
    let idleSince = performance.now();
    for await (const batch of embedded) {
      report.add("waiting", performance.now() - idleSince);
      const prepared = preparedOf(batch);
      await report.timed("index", () => index.beforeWrite(prepared));
      const results = await report.timed("write", () =>
        commitDocumentsIsolated(db, collection, prepared, signal),
      );
      report.written(batch, results);
      idleSince = performance.now();
    }
    await report.timed("index", () => index.afterWrites());
  } catch (error) {
    failed.abort(error);
    await index.afterWrites().catch(() => {});
    throw error;
  }
  if (options.sync) {
    options.signal?.throwIfAborted();
    const removed = await report.timed("sync", () =>
      deleteDocumentsExcept(db, collection.id, seen),
    );
    report.synced(removed);
  }
  return report.finish(started);
}

async function existingFolder(folder: string): Promise<string> {
  const root = path.resolve(folder);
  const info = await stat(root).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new LoreError("invalid_request", `Not a folder: ${folder}`);
  }
  return root;
}
