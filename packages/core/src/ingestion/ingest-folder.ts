// Ingests every loadable file under a folder into a collection; with sync, removes documents whose files are gone.
import { stat } from "node:fs/promises";
import path from "node:path";
import {
  chunks,
  DEFAULT_VECTOR_INDEX,
  describeError,
  documents,
  dropFullTextIndex,
  dropVectorIndex,
  ensureFullTextIndex,
  ensureVectorIndex,
  type LoreDb,
  queryRows,
} from "@lore/db";
import { and, count, eq, inArray, sql } from "drizzle-orm";
import pLimit from "p-limit";
import { type Collection, ensureCollection } from "../collections/collections";
import type { LoreContext } from "../context";
import { LoreError } from "../errors";
import type { ChunkingOptions } from "./chunk-markdown";
import type { IngestProgress, IngestStages, IngestSummary } from "./ingest-summary";
import {
  type ListFilesOptions,
  type LoadFileOptions,
  listFiles,
  loadFile,
  type SkippedFile,
  sourceFor,
} from "./load-folder";
import { mapInOrder } from "./map-in-order";
import {
  type ChangedDocument,
  commitDocumentsIsolated,
  EMBED_REQUEST_TOKENS,
  embedDocuments,
  estimatedTokens,
  isChanged,
  type PreparedDocument,
  prepareDocument,
  RefusedDocument,
  storedDocuments,
} from "./write-document";

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
export const DEFAULT_BULK_INDEX_MIN_CHUNKS = 1000;
// Documents per write transaction when nothing needs embedding (a re-sync): bounds memory.
const MAX_BATCH_DOCUMENTS = 200;
// Enough ids per statement to be quick, few enough to stay far below Postgres' parameter limit.
const DELETE_BATCH = 1000;

/** A file read and chunked, or skipped; `failed` when reading or processing it went wrong. */
type FileOutcome = { file: string } & (
  | { prepared: PreparedDocument; skipped?: undefined }
  | { skipped: SkippedFile; failed: boolean; prepared?: undefined }
);

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
  const { db, embedder } = context;
  const collection = await ensureCollection(db, options.collection, embedder, context.vectorIndex);
  // Rebuilds the full-text index if an earlier bulk load died between dropping and building it.
  await ensureFullTextIndex(db, buildMemoryMb(context));
  const summary: IngestSummary = {
    collection: collection.name,
    documents: { added: 0, updated: 0, unchanged: 0, deleted: 0 },
    chunks: { added: 0, deleted: 0 },
    textsEmbedded: 0,
    skipped: [],
    ms: 0,
  };
  const stages: IngestStages = { list: 0, read: 0, embed: 0, write: 0, index: 0, sync: 0 };
  const timed = async <Result>(stage: keyof IngestStages, work: () => Promise<Result>) => {
    const begun = performance.now();
    try {
      return await work();
    } finally {
      stages[stage] += performance.now() - begun;
    }
  };
  // Paths only: each file's content is read when its turn comes and dropped once written.
  const { files, stored } = await timed("list", async () => {
    const listed = await listFiles(root, options);
    return { files: listed, stored: await storedDocuments(db, collection.id) };
  });
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
  const readFile = (file: string): Promise<FileOutcome> =>
    timed("read", () => loadAndPrepare(file));
  const loadAndPrepare = async (file: string): Promise<FileOutcome> => {
    signal.throwIfAborted();
    let loaded: Awaited<ReturnType<typeof loadFile>>;
    try {
      loaded = await loadFile(root, file, { ...options, signal });
    } catch (error) {
      // Stopping is not the file's fault: the ingest stops with it.
      signal.throwIfAborted();
      const reason = `could not be read: ${describeError(error).message}`;
      return { file, skipped: { source: sourceFor(root, file), reason }, failed: true };
    }
    if ("reason" in loaded) return { file, skipped: loaded, failed: false };
    seen.add(loaded.source);
    try {
      const prepared = await prepareDocument(db, collection, loaded, {
        ...(options.chunking ? { chunking: options.chunking } : {}),
        stored: stored.get(loaded.source) ?? null,
        // An empty collection has no vectors to reuse: no lookup per document on a first load.
        reuseVectors: stored.size > 0,
      });
      return { file, prepared };
    } catch (error) {
      if (!(error instanceof RefusedDocument)) throw error;
      return { file, skipped: { source: loaded.source, reason: error.reason }, failed: true };
    }
  };
  const batchSize = Math.min(options.embedBatchSize ?? embedder.maxBatch, embedder.maxBatch);
  const embedConcurrency = options.embedConcurrency ?? DEFAULT_EMBED_CONCURRENCY;
  const limit = pLimit(Math.max(1, embedConcurrency));
  const index = new BulkIndexPlan(context, collection, {
    minChunks: options.bulkIndexMinChunks ?? DEFAULT_BULK_INDEX_MIN_CHUNKS,
    newSources: files.filter((file) => !stored.has(sourceFor(root, file))).length,
  });
  const finish = async (batch: FileOutcome[]): Promise<void> => {
    const prepared = batch.flatMap((entry) => (entry.prepared ? [entry.prepared] : []));
    await timed("index", () => index.beforeWrite(prepared));
    const results = await timed("write", () =>
      commitDocumentsIsolated(db, collection, prepared, signal),
    );
    for (const result of results) {
      if (result.outcome === "refused") {
        summary.skipped.push({ source: result.source, reason: result.reason });
        progress.filesSkipped += 1;
        progress.filesFailed += 1;
        continue;
      }
      summary.documents[result.outcome] += 1;
      summary.chunks.added += result.chunksAdded;
      summary.chunks.deleted += result.chunksDeleted;
      summary.textsEmbedded += result.textsEmbedded;
      progress.filesProcessed += 1;
      progress.chunksEmbedded += result.textsEmbedded;
      progress.chunksWritten += result.chunksAdded;
    }
    for (const entry of batch) {
      if (!entry.skipped) continue;
      summary.skipped.push(entry.skipped);
      progress.filesSkipped += 1;
      if (entry.failed) progress.filesFailed += 1;
    }
    const last = batch.at(-1);
    if (last) progress.source = last.skipped?.source ?? sourceFor(root, last.file);
    options.onProgress?.({ ...progress });
  };
  try {
    const read = mapInOrder(files, options.concurrency ?? DEFAULT_INGEST_CONCURRENCY, readFile);
    const batches = embeddingBatches(read, batchSize);
    const embedded = mapInOrder(batches, embedConcurrency, async (batch) => {
      const prepared = batch.flatMap((entry) => (entry.prepared ? [entry.prepared] : []));
      await timed("embed", () => embedDocuments(embedder, prepared, { batchSize, limit, signal }));
      return batch;
    });
    for await (const batch of embedded) await finish(batch);
    await timed("index", () => index.afterWrites());
  } catch (error) {
    failed.abort(error);
    await index.afterWrites().catch(() => {});
    throw error;
  }
  if (options.sync) {
    options.signal?.throwIfAborted();
    const removed = await timed("sync", () => deleteDocumentsExcept(db, collection.id, seen));
    summary.documents.deleted = removed.documents;
    summary.chunks.deleted += removed.chunks;
  }
  summary.skipped.sort((left, right) => (left.source < right.source ? -1 : 1));
  summary.ms = Math.round(performance.now() - started);
  summary.stages = Object.fromEntries(
    Object.entries(stages).map(([stage, ms]) => [stage, Math.round(ms)]),
  ) as IngestStages;
  return summary;
}

/**
 * Groups consecutive files into batches of about `size` texts to embed (and estimated tokens
 * within one request's budget): one embedding request and one write transaction per batch.
 */
async function* embeddingBatches(
  files: AsyncIterable<FileOutcome>,
  size: number,
): AsyncGenerator<FileOutcome[]> {
  let batch: FileOutcome[] = [];
  let texts = 0;
  let tokens = 0;
  for await (const entry of files) {
    const missing = entry.prepared && isChanged(entry.prepared) ? entry.prepared : undefined;
    const cost = missing?.missing.length ?? 0;
    const weight = missing ? missingTokens(missing) : 0;
    const full =
      texts + cost > size ||
      tokens + weight > EMBED_REQUEST_TOKENS ||
      batch.length >= MAX_BATCH_DOCUMENTS;
    if (batch.length > 0 && full) {
      yield batch;
      batch = [];
      texts = 0;
      tokens = 0;
    }
    batch.push(entry);
    texts += cost;
    tokens += weight;
  }
  if (batch.length > 0) yield batch;
}

function missingTokens(document: ChangedDocument): number {
  const missing = new Set(document.missing);
  return document.pieces.reduce(
    (total, piece) =>
      total + (missing.has(piece.contentHash) ? estimatedTokens(piece.embedText) : 0),
    0,
  );
}

/**
 * Decides, at the first batch that writes chunks, whether this ingest is a bulk load: then the
 * HNSW index of the collection's dimension is dropped and built once after the last write.
 */
class BulkIndexPlan {
  private decided = false;
  private deferred = false;
  private fullTextDeferred = false;

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
    if ((await indexedVectors(db, dimensions, expected)) > expected) return;
    await dropVectorIndex(db, dimensions);
    this.deferred = true;
  }

  async afterWrites(): Promise<void> {
    if (this.fullTextDeferred) {
      this.fullTextDeferred = false;
      await ensureFullTextIndex(this.context.db, buildMemoryMb(this.context));
    }
    if (!this.deferred) return;
    this.deferred = false;
    await ensureVectorIndex(
      this.context.db,
      this.collection.embeddingDimensions,
      this.context.vectorIndex,
    );
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

/** Chunks stored with this embedding dimension, counted up to `cap` + 1 (enough to compare). */
async function indexedVectors(db: LoreDb, dimensions: number, cap: number): Promise<number> {
  const [row] = await queryRows<{ total: number }>(
    db,
    sql`SELECT count(*)::int AS total FROM (
      SELECT 1 FROM chunks c JOIN collections k ON k.id = c.collection_id
      WHERE k.embedding_dimensions = ${dimensions} LIMIT ${cap + 1}) capped`,
  );
  return row?.total ?? 0;
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
