// Collection verbs: find, create on first ingest, refuse a second embedding model, list with counts.
import { collectionStatistics, collections, documents, ensureVectorIndex } from "@lore/db";
import type { Embedder } from "@lore/providers";
import { count, eq, sql } from "drizzle-orm";
import type { LoreContext } from "../context";
import { LoreError } from "../errors";
import { newId } from "../ids";
import { CollectionName } from "./schemas";

export interface Collection {
  id: string;
  name: string;
  embeddingModel: string;
  embeddingDimensions: number;
}

export interface CollectionSummary extends Collection {
  documents: number;
  chunks: number;
}

export async function findCollection(
  context: Pick<LoreContext, "db">,
  name: string,
): Promise<Collection | undefined> {
  const [row] = await context.db
    .select({
      id: collections.id,
      name: collections.name,
      embeddingModel: collections.embeddingModel,
      embeddingDimensions: collections.embeddingDimensions,
    })
    .from(collections)
    .where(eq(collections.name, name));
  return row;
}

/** The collection to search: it must exist and have been embedded by this embedder. */
export async function requireCollection(
  context: Pick<LoreContext, "db" | "embedder">,
  name: string,
): Promise<Collection> {
  const collection = await findCollection(context, name);
  if (!collection) throw new LoreError("not_found", `Collection "${name}" does not exist.`);
  assertSameEmbedder(collection, context.embedder);
  return collection;
}

/**
 * The collection to ingest into, created with the context's embedder on first use; its vector
 * index is built with the context's `vectorIndex` settings.
 */
export async function ensureCollection(
  context: Pick<LoreContext, "db" | "embedder" | "vectorIndex">,
  name: string,
): Promise<Collection> {
  const { db, embedder } = context;
  if (!CollectionName.safeParse(name).success) {
    throw new LoreError(
      "invalid_request",
      `Invalid collection name "${name}": use 1-63 lowercase letters, digits, "-" or "_", starting with a letter or digit.`,
    );
  }
  const existing = await findCollection(context, name);
  if (existing) assertSameEmbedder(existing, embedder);
  // Also rebuilds an index a killed bulk load left dropped; a cheap look-up when it exists.
  await ensureVectorIndex(db, embedder.dimensions, context.vectorIndex);
  if (existing) return existing;
  await db
    .insert(collections)
    .values({
      id: newId("col"),
      name,
      embeddingModel: embedder.id,
      embeddingDimensions: embedder.dimensions,
    })
    .onConflictDoNothing({ target: collections.name });
  // Another process may have created it between the look-up and the insert.
  const created = await findCollection(context, name);
  if (!created) throw new LoreError("internal", `Collection "${name}" could not be created.`);
  assertSameEmbedder(created, embedder);
  return created;
}

function assertSameEmbedder(collection: Collection, embedder: Embedder): void {
  if (
    collection.embeddingModel !== embedder.id ||
    collection.embeddingDimensions !== embedder.dimensions
  ) {
    throw new LoreError(
      "conflict",
      `Collection "${collection.name}" was embedded with ${collection.embeddingModel} (${collection.embeddingDimensions} dimensions) but Lore is configured with ${embedder.id} (${embedder.dimensions} dimensions). Mixing models in one collection would return wrong results: use the original embedder, or ingest into a new collection.`,
    );
  }
}

export async function listCollections(
  context: Pick<LoreContext, "db">,
): Promise<CollectionSummary[]> {
  const { db } = context;
  const documentCounts = db
    .select({ collectionId: documents.collectionId, total: count().as("document_total") })
    .from(documents)
    .groupBy(documents.collectionId)
    .as("document_counts");
  // Kept by the database on every chunk write (migrations/0004): no scan of the chunks.
  const chunkCounts = db
    .select({
      collectionId: collectionStatistics.collectionId,
      total: sql<number>`sum(${collectionStatistics.chunks})`.as("chunk_total"),
    })
    .from(collectionStatistics)
    .groupBy(collectionStatistics.collectionId)
    .as("chunk_counts");
  const rows = await db
    .select({
      id: collections.id,
      name: collections.name,
      embeddingModel: collections.embeddingModel,
      embeddingDimensions: collections.embeddingDimensions,
      documents: sql<number>`coalesce(${documentCounts.total}, 0)::int`,
      chunks: sql<number>`coalesce(${chunkCounts.total}, 0)::int`,
    })
    .from(collections)
    .leftJoin(documentCounts, eq(documentCounts.collectionId, collections.id))
    .leftJoin(chunkCounts, eq(chunkCounts.collectionId, collections.id))
    .orderBy(collections.name);
  return rows;
}
