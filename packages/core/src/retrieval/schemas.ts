// Schemas of the search verb: the request, its filters, and results located in their source.
import { z } from "zod";
import { CollectionName } from "../collections/schemas";

export const MAX_QUESTION_LENGTH = 2000;
export const MAX_TOP_K = 50;

export const SearchFilters = z
  .object({
    pathPrefix: z.string().min(1).max(1024).optional(),
    tags: z.array(z.string().min(1).max(100)).max(20).optional(),
  })
  .strict();
export type SearchFilters = z.infer<typeof SearchFilters>;

/** Where a chunk sits: shared by citations and search results. */
export const ChunkLocation = z.object({
  chunkId: z.string(),
  documentId: z.string(),
  source: z.string(),
  title: z.string(),
  heading: z.string(),
  startLine: z.number().int(),
  endLine: z.number().int(),
  score: z.number(),
  /** A link to the original at these lines, for documents synced from a source (issue 16). */
  url: z.string().optional(),
});

export const SearchRequest = z
  .object({
    query: z.string().trim().min(1, "must not be empty").max(MAX_QUESTION_LENGTH),
    collection: CollectionName.default("default"),
    topK: z.number().int().min(1).max(MAX_TOP_K).optional(),
    filters: SearchFilters.optional(),
  })
  .strict();
export type SearchRequest = z.infer<typeof SearchRequest>;

export const SearchResult = ChunkLocation.extend({ text: z.string() });
export type SearchResult = z.infer<typeof SearchResult>;

export const SearchResponse = z.object({ results: z.array(SearchResult) });
export type SearchResponse = z.infer<typeof SearchResponse>;
