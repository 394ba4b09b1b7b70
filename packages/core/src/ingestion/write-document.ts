// One document through the ingest's stages (prepare, embed, commit): what putDocument writes with.
import type { LoreDb } from "@lore/db";
import type { Embedder } from "@lore/providers";
import type { Collection } from "../collections/collections";
import { commitDocuments, type WriteResult } from "./commit-document";
import { embedDocuments } from "./embed-chunks";
import type { LoadedDocument } from "./load-folder";
import { type PrepareDocumentOptions, prepareDocument } from "./prepare-document";

export type { WriteOutcome, WriteResult } from "./commit-document";

export interface WriteDocumentOptions
  extends Pick<PrepareDocumentOptions, "chunking" | "metadata"> {
  signal?: AbortSignal;
}

/** Upserts one document: nothing when unchanged, only its new chunk texts embedded, one transaction. */
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
