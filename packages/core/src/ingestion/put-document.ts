// Pushing single documents from other systems: upsert one by source, or delete one by source.
import { chunks, documents } from "@lore/db";
import { and, count, eq } from "drizzle-orm";
import { ensureCollection, requireCollection } from "../collections/collections";
import type { LoreContext } from "../context";
import { LoreError } from "../errors";
import { formatOfMimeType } from "./formats";
import { type LoadedDocument, titleOf } from "./load-folder";
import { pageText } from "./page-text";
import type { DeleteDocumentResponse, PutDocumentRequest, PutDocumentResponse } from "./schemas";
import { writeDocument } from "./write-document";

export async function putDocument(
  context: LoreContext,
  collectionName: string,
  request: PutDocumentRequest,
): Promise<PutDocumentResponse> {
  const format = formatOfMimeType(request.mimeType);
  const page = pageText(request.mimeType, request.content);
  const content = page.content;
  if (content.trim() === "") {
    throw new LoreError(
      "invalid_request",
      format.kind === "html"
        ? "content: the HTML has no text."
        : "content: the page has no text besides its front matter.",
    );
  }
  const collection = await ensureCollection(context, collectionName);
  const document: LoadedDocument = {
    source: request.source,
    title: request.title ?? page.title ?? titleOf(content, request.source),
    mimeType: request.mimeType,
    content,
    ...(format.syntax === "code" ? { syntax: "code" as const } : {}),
  };
  const result = await writeDocument(context.db, context.embedder, collection, document, {
    ...(request.metadata ? { metadata: request.metadata } : {}),
  });
  const [stored] = await context.db
    .select({ total: count() })
    .from(chunks)
    .where(eq(chunks.documentId, result.documentId));
  return {
    documentId: result.documentId,
    source: request.source,
    outcome: result.outcome,
    chunks: stored?.total ?? 0,
    textsEmbedded: result.textsEmbedded,
  };
}

export async function deleteDocument(
  context: LoreContext,
  collectionName: string,
  source: string,
): Promise<DeleteDocumentResponse> {
  const collection = await requireCollection(context, collectionName);
  return context.db.transaction(async (transaction) => {
    const [document] = await transaction
      .select({ id: documents.id })
      .from(documents)
      .where(and(eq(documents.collectionId, collection.id), eq(documents.source, source)));
    if (!document) {
      throw new LoreError(
        "not_found",
        `Collection "${collectionName}" has no document with source ${JSON.stringify(source)}.`,
      );
    }
    const deleted = await transaction
      .delete(chunks)
      .where(eq(chunks.documentId, document.id))
      .returning({ id: chunks.id });
    await transaction.delete(documents).where(eq(documents.id, document.id));
    return { documentId: document.id, source, chunksDeleted: deleted.length };
  });
}
