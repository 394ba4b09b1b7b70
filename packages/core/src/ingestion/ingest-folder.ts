// Ingests every loadable file under a folder into a collection; with sync, removes documents whose files are gone.
import { stat } from "node:fs/promises";
import path from "node:path";
import { chunks, documents, type LoreDb } from "@lore/db";
import { and, count, eq, inArray, notInArray } from "drizzle-orm";
import { ensureCollection } from "../collections/collections";
import type { LoreContext } from "../context";
import { LoreError } from "../errors";
import type { ChunkingOptions } from "./chunk-markdown";
import { listFiles, loadFile, type SkippedFile } from "./load-folder";
import { writeDocument } from "./write-document";

export interface IngestFolderOptions {
  collection: string;
  /** Delete documents of the collection that this folder no longer has. */
  sync?: boolean;
  chunking?: ChunkingOptions;
  signal?: AbortSignal;
  onProgress?: (progress: IngestProgress) => void;
}

export interface IngestProgress {
  filesSeen: number;
  filesDone: number;
  source: string;
}

export interface IngestSummary {
  collection: string;
  documents: { added: number; updated: number; unchanged: number; deleted: number };
  chunks: { added: number; deleted: number };
  textsEmbedded: number;
  skipped: SkippedFile[];
  ms: number;
}

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
  const files = await listFiles(root);
  const seen: string[] = [];
  for (const [index, file] of files.entries()) {
    options.signal?.throwIfAborted();
    const loaded = await loadFile(root, file);
    options.onProgress?.({ filesSeen: files.length, filesDone: index + 1, source: loaded.source });
    if ("reason" in loaded) {
      summary.skipped.push(loaded);
      continue;
    }
    seen.push(loaded.source);
    const result = await writeDocument(context.db, context.embedder, collection, loaded, {
      ...(options.chunking ? { chunking: options.chunking } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    summary.documents[result.outcome] += 1;
    summary.chunks.added += result.chunksAdded;
    summary.chunks.deleted += result.chunksDeleted;
    summary.textsEmbedded += result.textsEmbedded;
  }
  if (options.sync) {
    const removed = await deleteDocumentsExcept(context.db, collection.id, seen);
    summary.documents.deleted = removed.documents;
    summary.chunks.deleted += removed.chunks;
  }
  summary.ms = Math.round(performance.now() - started);
  return summary;
}

/** Deletes the collection's documents whose sources are not in `keep`, with their chunks. */
async function deleteDocumentsExcept(
  db: LoreDb,
  collectionId: string,
  keep: string[],
): Promise<{ documents: number; chunks: number }> {
  return db.transaction(async (transaction) => {
    const doomed = transaction
      .select({ id: documents.id })
      .from(documents)
      .where(
        and(
          eq(documents.collectionId, collectionId),
          keep.length > 0 ? notInArray(documents.source, keep) : undefined,
        ),
      );
    const [chunkCount] = await transaction
      .select({ total: count() })
      .from(chunks)
      .where(inArray(chunks.documentId, doomed));
    const deleted = await transaction
      .delete(documents)
      .where(inArray(documents.id, doomed))
      .returning({ id: documents.id });
    return { documents: deleted.length, chunks: chunkCount?.total ?? 0 };
  });
}
