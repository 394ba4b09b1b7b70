// Pushing single documents from other systems: upsert one by source, or delete one by source.
import { chunks, documents } from "@lore/db";
import { and, count, eq } from "drizzle-orm";
import { z } from "zod";
import { ensureCollection, requireCollection } from "../collections/collections";
import type { LoreContext } from "../context";
import { LoreError } from "../errors";
import { formatOfMimeType, htmlToMarkdown } from "./formats";
import { type LoadedDocument, titleOf } from "./load-folder";
import { writeDocument } from "./write-document";

const Source = z
  .string()
  .min(1)
  .max(1024)
  .refine(
    (value) => [...value].every((character) => character.charCodeAt(0) >= 0x20),
    "must not contain control characters",
  );

export const PutDocumentRequest = z
  .object({
    source: Source,
    title: z.string().trim().min(1).max(500).optional(),
    content: z.string().refine((value) => value.trim() !== "", "must not be empty"),
    mimeType: z
      .string()
      .regex(/^[a-z]+\/[a-z0-9.+-]+$/, "a mime type such as text/markdown")
      .default("text/markdown"),
    metadata: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();
export type PutDocumentRequest = z.infer<typeof PutDocumentRequest>;

export const PutDocumentResponse = z.object({
  documentId: z.string(),
  source: z.string(),
  outcome: z.enum(["added", "updated", "unchanged"]),
  chunks: z.number().int(),
  textsEmbedded: z.number().int(),
});
export type PutDocumentResponse = z.infer<typeof PutDocumentResponse>;

export const DeleteDocumentResponse = z.object({
  documentId: z.string(),
  source: z.string(),
  chunksDeleted: z.number().int(),
});
export type DeleteDocumentResponse = z.infer<typeof DeleteDocumentResponse>;

export async function putDocument(
  context: LoreContext,
  collectionName: string,
  request: PutDocumentRequest,
): Promise<PutDocumentResponse> {
  const collection = await ensureCollection(context, collectionName);
  const format = formatOfMimeType(request.mimeType);
  const html = format.kind === "html" ? htmlToMarkdown(request.content) : undefined;
  if (html && html.markdown.trim() === "") {
    throw new LoreError("invalid_request", "content: the HTML has no text.");
  }
  const content = html?.markdown ?? request.content;
  const document: LoadedDocument = {
    source: request.source,
    title: request.title ?? html?.title ?? titleOf(content, request.source),
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
