// Upserts documents: skip when unchanged, embed only new chunk hashes (batched across documents), write a batch in one transaction.
import { chunks, chunkWriteTransaction, describeError, documents, type LoreDb } from "@lore/db";
import type { Embedder } from "@lore/providers";
import { and, eq, inArray, sql } from "drizzle-orm";
import pLimit, { type LimitFunction } from "p-limit";
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

/** What the collection already holds for a source: enough to tell "unchanged". */
export interface StoredDocument {
  id: string;
  contentHash: string;
}

export async function writeDocument(
  db: LoreDb,
  embedder: Embedder,
  collection: Collection,
  document: LoadedDocument,
  options: WriteDocumentOptions = {},
): Promise<WriteResult> {
  const prepared = await prepareDocument(db, collection, document, options);
  await embedDocuments(embedder, [prepared], options.signal ? { signal: options.signal } : {});
  const [result] = await commitDocuments(db, collection, [prepared], options.signal);
  return result as WriteResult;
}

/** A document chunked, with the vectors the collection already has; nothing written yet. */
export interface ChangedDocument {
  outcome: "added" | "updated";
  document: LoadedDocument;
  hash: string;
  metadata: Record<string, unknown>;
  pieces: TextChunk[];
  /** Vectors by chunk hash: reused from the collection, then filled in by embedDocuments. */
  vectors: Map<string, number[]>;
  /** Chunk hashes the collection has no vector for, each once, in document order. */
  missing: string[];
  /** Texts embedded for this document (a text shared with an earlier document counts there). */
  textsEmbedded: number;
}

export type PreparedDocument = { outcome: "unchanged"; documentId: string } | ChangedDocument;

/**
 * The write-free first step: skip when unchanged, chunk, and look up the vectors the collection
 * already stores for these chunk hashes. `stored` is what the caller already knows of this
 * source (null: not stored); when absent it is looked up.
 */
export async function prepareDocument(
  db: LoreDb,
  collection: Collection,
  document: LoadedDocument,
  options: WriteDocumentOptions & {
    stored?: StoredDocument | null;
    /** false: embed every chunk without looking for stored vectors (the collection is empty). */
    reuseVectors?: boolean;
  } = {},
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
      ? new Map<string, number[]>()
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
 * What one embedding request may carry beyond the provider's input count: OpenAI caps a request
 * at 300k tokens. Estimated from text length (4 characters a token), so with headroom for text
 * that tokenizes denser, such as code.
 */
export const EMBED_REQUEST_TOKENS = 200_000;

export function estimatedTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

export interface EmbedOptions {
  /** Texts per request, at most the embedder's maxBatch (the default). */
  batchSize?: number;
  /** Shared by every caller of one ingest, so requests in flight stay within its concurrency. */
  limit?: LimitFunction;
  signal?: AbortSignal;
}

/**
 * Embeds the missing chunk texts of several documents together: each distinct text once, in
 * requests as large as the provider allows, run concurrently through `limit`.
 */
export async function embedDocuments(
  embedder: Embedder,
  prepared: readonly PreparedDocument[],
  options: EmbedOptions = {},
): Promise<void> {
  const changed = prepared.filter(isChanged);
  const texts = new Map<string, string>();
  for (const document of changed) {
    const byHash = new Map(document.pieces.map((piece) => [piece.contentHash, piece.embedText]));
    document.textsEmbedded = 0;
    for (const chunkHash of document.missing) {
      if (texts.has(chunkHash)) continue;
      texts.set(chunkHash, byHash.get(chunkHash) ?? "");
      document.textsEmbedded += 1;
    }
  }
  if (texts.size === 0) return;
  const batchSize = Math.max(
    1,
    Math.min(options.batchSize ?? embedder.maxBatch, embedder.maxBatch),
  );
  const limit = options.limit ?? pLimit(1);
  const embedded = new Map<string, number[]>();
  await Promise.all(
    requestBatches([...texts], batchSize).map((batch) =>
      limit(async () => {
        options.signal?.throwIfAborted();
        const vectors = await embedder.embed(
          batch.map(([, text]) => text),
          options.signal,
        );
        batch.forEach(([chunkHash], index) => {
          const vector = vectors[index];
          if (vector) embedded.set(chunkHash, vector);
        });
      }),
    ),
  );
  for (const document of changed) {
    for (const chunkHash of document.missing) {
      const vector = embedded.get(chunkHash);
      if (vector) document.vectors.set(chunkHash, vector);
    }
  }
}

/** Splits texts into requests of at most `size` texts and EMBED_REQUEST_TOKENS estimated tokens. */
function requestBatches<Entry extends [string, string]>(entries: Entry[], size: number): Entry[][] {
  const batches: Entry[][] = [];
  let current: Entry[] = [];
  let tokens = 0;
  for (const entry of entries) {
    const cost = estimatedTokens(entry[1]);
    if (current.length > 0 && (current.length >= size || tokens + cost > EMBED_REQUEST_TOKENS)) {
      batches.push(current);
      current = [];
      tokens = 0;
    }
    current.push(entry);
    tokens += cost;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/**
 * Writes prepared documents and replaces their chunks, all in one transaction: one upsert of the
 * documents, one delete, and the chunk rows as one binary COPY (multi-row INSERTs on PGlite). Results follow `prepared`'s order.
 */
export async function commitDocuments(
  db: LoreDb,
  collection: Collection,
  prepared: readonly PreparedDocument[],
  signal?: AbortSignal,
): Promise<WriteResult[]> {
  const changed = prepared.filter(isChanged);
  const written = new Map<ChangedDocument, { documentId: string; chunksDeleted: number }>();
  if (changed.length > 0) {
    // A stopped job must not start a write it cannot finish cleanly; the transaction itself is atomic.
    signal?.throwIfAborted();
    await chunkWriteTransaction(db, async (transaction, writeChunks) => {
      const updatedAt = new Date();
      // The returned ids are the stored ones, even when another writer inserted a source meanwhile.
      const rows = await transaction
        .insert(documents)
        .values(
          changed.map((entry) => ({
            id: newId("doc"),
            collectionId: collection.id,
            source: entry.document.source,
            title: entry.document.title,
            contentHash: entry.hash,
            mimeType: entry.document.mimeType,
            metadata: entry.metadata,
            updatedAt,
          })),
        )
        .onConflictDoUpdate({
          target: [documents.collectionId, documents.source],
          set: {
            title: sql`excluded.title`,
            contentHash: sql`excluded.content_hash`,
            mimeType: sql`excluded.mime_type`,
            metadata: sql`excluded.metadata`,
            updatedAt: sql`excluded.updated_at`,
          },
        })
        .returning({ id: documents.id, source: documents.source });
      const ids = new Map(rows.map((row) => [row.source, row.id]));
      const deleted = await transaction
        .delete(chunks)
        .where(inArray(chunks.documentId, [...ids.values()]))
        .returning({ documentId: chunks.documentId });
      const deletedPerDocument = new Map<string, number>();
      for (const row of deleted) {
        deletedPerDocument.set(row.documentId, (deletedPerDocument.get(row.documentId) ?? 0) + 1);
      }
      const values = changed.flatMap((entry) => {
        const documentId = ids.get(entry.document.source) ?? "";
        written.set(entry, { documentId, chunksDeleted: deletedPerDocument.get(documentId) ?? 0 });
        return entry.pieces.map((piece) => ({
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
          embedding: entry.vectors.get(piece.contentHash) ?? [],
        }));
      });
      await writeChunks(values);
    });
  }
  return prepared.map((entry) => {
    if (!isChanged(entry)) {
      return {
        outcome: "unchanged",
        documentId: entry.documentId,
        chunksAdded: 0,
        chunksDeleted: 0,
        textsEmbedded: 0,
      };
    }
    const result = written.get(entry);
    return {
      outcome: entry.outcome,
      documentId: result?.documentId ?? "",
      chunksAdded: entry.pieces.length,
      chunksDeleted: result?.chunksDeleted ?? 0,
      textsEmbedded: entry.textsEmbedded,
    };
  });
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

/** A document of a batch the database refused, with why (code and driver message only). */
interface RefusedWrite {
  outcome: "refused";
  source: string;
  reason: string;
}

// SQLSTATE classes that a row's own values cause: data exceptions (an invalid byte sequence, a
// value out of range), integrity violations, program limits (a tsvector too long). Connection,
// lock and resource errors are not the document's fault: the job is retried instead.
const DOCUMENT_SQLSTATE = /^(22|23|54)[0-9A-Z]{3}$/;

function refusedBy(error: unknown): string | undefined {
  const { code, message } = describeError(error);
  return DOCUMENT_SQLSTATE.test(code) ? `could not be written: ${code} ${message}` : undefined;
}

/**
 * commitDocuments for a batch of files: when the database refuses the batch because of one
 * document's rows, the batch (rolled back whole) is written again one document a transaction,
 * so the good documents are kept and each refused one is reported, never half-written. Vectors
 * were attached before, so nothing is embedded twice.
 */
export async function commitDocumentsIsolated(
  db: LoreDb,
  collection: Collection,
  prepared: readonly PreparedDocument[],
  signal?: AbortSignal,
): Promise<(WriteResult | RefusedWrite)[]> {
  try {
    return await commitDocuments(db, collection, prepared, signal);
  } catch (error) {
    if (refusedBy(error) === undefined) throw error;
  }
  const results: (WriteResult | RefusedWrite)[] = [];
  for (const entry of prepared) {
    try {
      results.push(...(await commitDocuments(db, collection, [entry], signal)));
    } catch (error) {
      const reason = refusedBy(error);
      if (reason === undefined || !isChanged(entry)) throw error;
      results.push({ outcome: "refused", source: entry.document.source, reason });
    }
  }
  return results;
}

export function isChanged(prepared: PreparedDocument): prepared is ChangedDocument {
  return prepared.outcome !== "unchanged";
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
