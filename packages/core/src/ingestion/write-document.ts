// Upserts one document: skip when unchanged, embed only new chunk hashes, replace chunks in one transaction.
import { chunks, documents, type LoreDb } from "@lore/db";
import type { Embedder } from "@lore/providers";
import { and, eq, inArray } from "drizzle-orm";
import type { Collection } from "../collections/collections";
import { contentHash } from "../hash";
import { newId } from "../ids";
import { type ChunkingOptions, chunkMarkdown, DEFAULT_CHUNKING } from "./chunk-markdown";
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
  const hash = contentHash(`${document.title}\n${document.mimeType}\n${document.content}`);
  const [existing] = await db
    .select({ id: documents.id, contentHash: documents.contentHash })
    .from(documents)
    .where(and(eq(documents.collectionId, collection.id), eq(documents.source, document.source)));
  if (existing && existing.contentHash === hash) {
    return {
      outcome: "unchanged",
      documentId: existing.id,
      chunksAdded: 0,
      chunksDeleted: 0,
      textsEmbedded: 0,
    };
  }

  const pieces = await chunkMarkdown(document.content, options.chunking ?? DEFAULT_CHUNKING);
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

  const documentId = existing?.id ?? newId("doc");
  const chunksDeleted = await db.transaction(async (transaction) => {
    const values = {
      title: document.title,
      contentHash: hash,
      mimeType: document.mimeType,
      metadata: options.metadata ?? {},
      updatedAt: new Date(),
    };
    await transaction
      .insert(documents)
      .values({ id: documentId, collectionId: collection.id, source: document.source, ...values })
      .onConflictDoUpdate({ target: [documents.collectionId, documents.source], set: values });
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
          embedding: known.get(piece.contentHash) ?? [],
        })),
      );
    }
    return deleted.length;
  });
  return {
    outcome: existing ? "updated" : "added",
    documentId,
    chunksAdded: pieces.length,
    chunksDeleted,
    textsEmbedded: missing.length,
  };
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
