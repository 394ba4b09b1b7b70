// The ingest's last stage: prepared documents and their chunk rows written in one transaction, and a sync's deletions.
import { chunks, chunkWriteTransaction, describeError, documents, type LoreDb } from "@lore/db";
import { and, count, eq, inArray, sql } from "drizzle-orm";
import type { Collection } from "../collections/collections";
import { newId } from "../ids";
import { type ChangedDocument, isChanged, type PreparedDocument } from "./prepare-document";

export type WriteOutcome = "added" | "updated" | "unchanged";

export interface WriteResult {
  outcome: WriteOutcome;
  documentId: string;
  chunksAdded: number;
  chunksDeleted: number;
  textsEmbedded: number;
}

// Enough ids per statement to be quick, few enough to stay far below Postgres' parameter limit.
const DELETE_BATCH = 1000;

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
        return entry.pieces.map((piece, index) => ({
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
          ...(entry.search?.[index] ? { search: entry.search[index] } : {}),
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

/** A document of a batch the database refused, with why (code and driver message only). */
export interface RefusedWrite {
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

/** Deletes the collection's documents whose sources are not in `keep`, with their chunks. */
export async function deleteDocumentsExcept(
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
