// The ingest's first stage, write-free: read a file, skip it when unchanged, chunk it, and find the vectors the collection already has.
import { chunks, describeError, documents, type LoreDb } from "@lore/db";
import { and, eq, inArray } from "drizzle-orm";
import type { Collection } from "../collections/collections";
import { contentHash } from "../hash";
import { chunkDocument } from "./chunk-document";
import { type ChunkingOptions, DEFAULT_CHUNKING, type TextChunk } from "./chunk-markdown";
import {
  type LoadedDocument,
  type LoadFileOptions,
  loadFile,
  type SkippedFile,
  sourceFor,
} from "./load-folder";

/** What the collection already holds for a source: enough to tell "unchanged". */
export interface StoredDocument {
  id: string;
  contentHash: string;
}

/** A chunk's vector: float32s from the embedder when it gives them, numbers when read back. */
export type ChunkVector = readonly number[] | Float32Array;

/** A document chunked, with the vectors the collection already has; nothing written yet. */
export interface ChangedDocument {
  outcome: "added" | "updated";
  document: LoadedDocument;
  hash: string;
  metadata: Record<string, unknown>;
  pieces: TextChunk[];
  /** Vectors by chunk hash: reused from the collection, then filled in by embedDocuments. */
  vectors: Map<string, ChunkVector>;
  /** Chunk hashes the collection has no vector for, each once, in document order. */
  missing: string[];
  /** Texts embedded for this document (a text shared with an earlier document counts there). */
  textsEmbedded: number;
  /** Each piece's full-text vector, computed ahead (attachFullTextVectors); else the write computes them. */
  search?: Uint8Array[];
}

export type PreparedDocument = { outcome: "unchanged"; documentId: string } | ChangedDocument;

export interface PrepareDocumentOptions {
  chunking?: ChunkingOptions;
  metadata?: Record<string, unknown>;
  /** What the caller already knows of this source (null: not stored); looked up when absent. */
  stored?: StoredDocument | null;
  /** false: embed every chunk without looking for stored vectors (the collection is empty). */
  reuseVectors?: boolean;
}

/**
 * One document's own content cannot be processed (chunked, or stored: the database refused its
 * rows). The ingest skips that file with `reason` and goes on; any other error stops the ingest.
 */
export class RefusedDocument extends Error {
  override readonly name = "RefusedDocument";
  constructor(
    readonly reason: string,
    cause: unknown,
  ) {
    super(reason, { cause });
  }
}

/**
 * Skips when unchanged, chunks, and looks up the vectors the collection already stores for these
 * chunk hashes.
 */
export async function prepareDocument(
  db: LoreDb,
  collection: Collection,
  document: LoadedDocument,
  options: PrepareDocumentOptions = {},
): Promise<PreparedDocument> {
  const hash = documentHash(document, options.metadata);
  const stored =
    options.stored === undefined
      ? (await storedDocuments(db, collection.id, [document.source])).get(document.source)
      : options.stored;
  if (stored && stored.contentHash === hash) {
    return { outcome: "unchanged", documentId: stored.id };
  }
  const pieces = await chunkDocument(document, options.chunking ?? DEFAULT_CHUNKING).catch(
    (error: unknown) => {
      throw new RefusedDocument(`could not be chunked: ${describeError(error).message}`, error);
    },
  );
  const vectors =
    options.reuseVectors === false
      ? new Map<string, ChunkVector>()
      : await knownEmbeddings(
          db,
          collection.id,
          pieces.map((piece) => piece.contentHash),
        );
  const missing = [...new Set(pieces.map((piece) => piece.contentHash))].filter(
    (chunkHash) => !vectors.has(chunkHash),
  );
  return {
    outcome: stored ? "updated" : "added",
    document,
    hash,
    metadata: options.metadata ?? {},
    pieces,
    vectors,
    missing,
    textsEmbedded: 0,
  };
}

/** A file of a folder read and prepared, or skipped; `failed` when reading or processing it went wrong. */
export type FileOutcome = { file: string } & (
  | { prepared: PreparedDocument; skipped?: undefined }
  | { skipped: SkippedFile; failed: boolean; prepared?: undefined }
);

export interface PrepareFileOptions extends LoadFileOptions {
  chunking?: ChunkingOptions;
  /** Everything the collection stored before this ingest, by source. */
  stored: ReadonlyMap<string, StoredDocument>;
  /** Collects the sources read (even if they could not be chunked): the ones a sync keeps. */
  seen: Set<string>;
  signal: AbortSignal;
}

/** prepareDocument for a file of a folder: a file that cannot be read or chunked is skipped with why. */
export async function prepareFile(
  db: LoreDb,
  collection: Collection,
  root: string,
  file: string,
  options: PrepareFileOptions,
): Promise<FileOutcome> {
  const { signal, stored } = options;
  signal.throwIfAborted();
  let loaded: LoadedDocument | SkippedFile;
  try {
    loaded = await loadFile(root, file, options);
  } catch (error) {
    // Stopping is not the file's fault: the ingest stops with it.
    signal.throwIfAborted();
    const reason = `could not be read: ${describeError(error).message}`;
    return { file, skipped: { source: sourceFor(root, file), reason }, failed: true };
  }
  if ("reason" in loaded) return { file, skipped: loaded, failed: false };
  options.seen.add(loaded.source);
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
}

/** The prepared documents of a batch of files, in file order. */
export function preparedOf(batch: readonly FileOutcome[]): PreparedDocument[] {
  return batch.flatMap((entry) => (entry.prepared ? [entry.prepared] : []));
}

export function isChanged(prepared: PreparedDocument): prepared is ChangedDocument {
  return prepared.outcome !== "unchanged";
}

/** The collection's stored documents by source: all of them, or only the given sources. */
export async function storedDocuments(
  db: LoreDb,
  collectionId: string,
  sources?: readonly string[],
): Promise<Map<string, StoredDocument>> {
  const rows = await db
    .select({ id: documents.id, source: documents.source, contentHash: documents.contentHash })
    .from(documents)
    .where(
      and(
        eq(documents.collectionId, collectionId),
        sources ? inArray(documents.source, [...sources]) : undefined,
      ),
    );
  return new Map(rows.map((row) => [row.source, { id: row.id, contentHash: row.contentHash }]));
}

/**
 * What decides "unchanged". Metadata counts only when given, so documents written before
 * metadata existed keep their hash and a re-sync of them stays a no-op.
 */
function documentHash(document: LoadedDocument, metadata?: Record<string, unknown>): string {
  const base = `${document.title}\n${document.mimeType}\n${document.content}`;
  return contentHash(
    metadata && Object.keys(metadata).length > 0 ? `${base}\n${JSON.stringify(metadata)}` : base,
  );
}

/** Vectors already stored in the collection for these chunk hashes: reused instead of re-embedded. */
async function knownEmbeddings(
  db: LoreDb,
  collectionId: string,
  hashes: string[],
): Promise<Map<string, ChunkVector>> {
  const known = new Map<string, ChunkVector>();
  if (hashes.length === 0) return known;
  const rows = await db
    .selectDistinctOn([chunks.contentHash], {
      contentHash: chunks.contentHash,
      embedding: chunks.embedding,
    })
    .from(chunks)
    .where(and(eq(chunks.collectionId, collectionId), inArray(chunks.contentHash, hashes)));
  for (const row of rows) known.set(row.contentHash, row.embedding);
  return known;
}
