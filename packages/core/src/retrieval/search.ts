// The search verb: embed the query and run hybrid retrieval over one collection.
import { requireCollection } from "../collections/collections";
import type { LoreContext } from "../context";
import type { SearchFilters, SearchRequest, SearchResponse } from "../contract";
import { hybridSearch, type RetrievedChunk } from "./hybrid-search";

export const DEFAULT_SEARCH_TOP_K = 10;

export interface RetrieveInput {
  query: string;
  collection: string;
  topK: number;
  filters?: SearchFilters;
}

export interface Retrieval {
  chunks: RetrievedChunk[];
  embedMs: number;
  retrieveMs: number;
}

export async function retrieve(context: LoreContext, input: RetrieveInput): Promise<Retrieval> {
  const collection = await requireCollection(context.db, input.collection, context.embedder);
  const embedStarted = performance.now();
  const [vector] = await context.embedder.embed([input.query]);
  const retrieveStarted = performance.now();
  const chunks = vector
    ? await hybridSearch(context.db, collection, input.query, vector, {
        topK: input.topK,
        ...(input.filters ? { filters: input.filters } : {}),
      })
    : [];
  const finished = performance.now();
  return {
    chunks,
    embedMs: roundMs(retrieveStarted - embedStarted),
    retrieveMs: roundMs(finished - retrieveStarted),
  };
}

export async function search(
  context: LoreContext,
  request: SearchRequest,
): Promise<SearchResponse> {
  const { chunks } = await retrieve(context, {
    query: request.query,
    collection: request.collection,
    topK: request.topK ?? DEFAULT_SEARCH_TOP_K,
    ...(request.filters ? { filters: request.filters } : {}),
  });
  return {
    results: chunks.map(({ similarity: _similarity, textRank: _textRank, ...result }) => result),
  };
}

export function roundMs(milliseconds: number): number {
  return Math.round(milliseconds * 10) / 10;
}
