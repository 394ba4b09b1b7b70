// Upserts one document: skip when unchanged, embed only new chunk hashes, replace chunks in one transaction.
import { chunks, documents, type LoreDb } from "@lore/db";
import type { Embedder } from "@lore/providers";
import { and, eq, inArray } from "drizzle-orm";
import type { Collection } from "../collections/collections";
import { contentHash } from "../hash";
import { newId } from "../ids";
import { chunkDocument } from "./chunk-document";
import { type ChunkingOptions, DEFAULT_CHUNKING, type TextChunk } from "./chunk-markdown";
import type { LoadedDocument } from "./load-folder";

export type WriteOutcome = "added" | "updated" | "unchanged";

export interface WriteResult {
  outcome: WriteOutcome;
  documentId: string;
  chunksAdded: number;
  chunksDeleted: number;
  textsEmbedded: number;
}

export interface WriteDocumentOptions {
  chunking?: ChunkingOptions;
  metadata?: Record<string, unknown>;
  signal?: AbortSignal;
}

export async function writeDocument(
  db: LoreDb,
  embedder: Embedder,
  collection: Collection,
  document: LoadedDocument,
  options: WriteDocumentOptions = {},
): Promise<WriteResult> {
  const prepared = await prepareDocument(db, embedder, collection, document, options);
  return commitDocument(db, collection, prepared, options.signal);
}

/** A document ready to write: chunked and embedded, nothing written yet (or nothing to write). */
export type PreparedDocument =
  | { outcome: "unchanged"; documentId: string }
  | {
      outcome: "added" | "updated";
      document: LoadedDocument;
      hash: string;
      metadata: Record<string, unknown>;
      pieces: TextChunk[];
      vectors: Map<string, number[]>;
      textsEmbedded: number;
    };

/**
 * The slow, write-free half of writeDocument: skip when unchanged, chunk, and embed only chunk
 * hashes the collection has no vector for. Callers may run several at once and commit in order.
 */
export async function prepareDocument(
  db: LoreDb,
  embedder: Embedder,
  collection: Collection,
  document: LoadedDocument,
  options: WriteDocumentOptions = {},
): Promise<PreparedDocument> {
  const hash = documentHash(document, options.metadata);
  const [existing] = await db
    .select({ id: documents.id, contentHash: documents.contentHash })
    .from(documents)
    .where(and(eq(documents.collectionId, collection.id), eq(documents.source, document.source)));
  if (existing && existing.contentHash === hash) {
    return { outcome: "unchanged", documentId: existing.id };
  }

  const pieces = await chunkDocument(document, options.chunking ?? DEFAULT_CHUNKING);
  const known = await knownEmbeddings(
    db,
    collection.id,
    pieces.map((piece) => piece.contentHash),
  );
  const missing = [...new Set(pieces.map((piece) => piece.contentHash))].filter(
    (chunkHash) => !known.has(chunkHash),
  );
  const textByHash = new Map(pieces.map((piece) => [piece.contentHash, piece.embedText]));
  for (let start = 0; start < missing.length; start += embedder.maxBatch) {
    const batch = missing.slice(start, start + embedder.maxBatch);
    const vectors = await embedder.embed(
      batch.map((chunkHash) => textByHash.get(chunkHash) ?? ""),
      options.signal,
    );
    batch.forEach((chunkHash, index) => {
      const vector = vectors[index];
      if (vector) known.set(chunkHash, vector);
    });
  }
  return {
    outcome: existing ? "updated" : "added",
    document,
    hash,
    metadata: options.metadata ?? {},
    pieces,
    vectors: known,
    textsEmbedded: missing.length,
  };
}

/** Writes a prepared document and replaces its chunks, in one transaction. */
export async function commitDocument(
  db: LoreDb,
  collection: Collection,
  prepared: PreparedDocument,
  signal?: AbortSignal,
): Promise<WriteResult> {
  if (prepared.outcome === "unchanged") {
    return {
      outcome: "unchanged",
      documentId: prepared.documentId,
      chunksAdded: 0,
      chunksDeleted: 0,
      textsEmbedded: 0,
    };
  }
  // A stopped job must not start a write it cannot finish cleanly; the transaction itself is atomic.
  signal?.throwIfAborted();
  const { document, pieces, vectors } = prepared;
  const written = await db.transaction(async (transaction) => {
    const values = {
      title: document.title,
      contentHash: prepared.hash,
      mimeType: document.mimeType,
      metadata: prepared.metadata,
      updatedAt: new Date(),
    };
    // The returned id is the stored one, even when another writer inserted this source meanwhile.
    const [row] = await transaction
      .insert(documents)
      .values({ id: newId("doc"), collectionId: collection.id, source: document.source, ...values })
      .onConflictDoUpdate({ target: [documents.collectionId, documents.source], set: values })
      .returning({ id: documents.id });
    const documentId = row?.id ?? "";
    const deleted = await transaction
      .delete(chunks)
      .where(eq(chunks.documentId, documentId))
      .returning({ id: chunks.id });
    if (pieces.length > 0) {
      await transaction.insert(chunks).values(
        pieces.map((piece) => ({
          id: newId("chk"),
          documentId,
          collectionId: collection.id,
          ordinal: piece.ordinal,
          text: piece.text,
          heading: piece.heading,
          startLine: piece.startLine,
          endLine: piece.endLine,
          tokenCount: piece.tokenCount,
          contentHash: piece.contentHash,
          embedding: vectors.get(piece.contentHash) ?? [],
        })),
      );
    }
    return { documentId, chunksDeleted: deleted.length };
  });
  return {
    outcome: prepared.outcome,
    documentId: written.documentId,
    chunksAdded: pieces.length,
    chunksDeleted: written.chunksDeleted,
    textsEmbedded: prepared.textsEmbedded,
  };
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
): Promise<Map<string, number[]>> {
  const known = new Map<string, number[]>();
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
