// Schemas of the collection verbs: a collection's name and the collection listing.
import { z } from "zod";

/** A collection's name, wherever one is given (HTTP, CLI, jobs). */
export const CollectionName = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[a-z0-9][a-z0-9_-]*$/, 'lowercase letters, digits, "-" or "_"');

export const CollectionInfo = z.object({
  name: z.string(),
  embeddingModel: z.string(),
  embeddingDimensions: z.number().int(),
  documents: z.number().int(),
  chunks: z.number().int(),
});
export const CollectionsResponse = z.object({ collections: z.array(CollectionInfo) });
export type CollectionsResponse = z.infer<typeof CollectionsResponse>;
