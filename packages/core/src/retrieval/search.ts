// The search verb: embed the query and run hybrid retrieval over one collection.
import { cacheKey } from "../caches";
import { type Collection, requireCollection } from "../collections/collections";
import { contextCaches, type LoreContext } from "../context";
import type { RetrievalOverrides } from "../settings";
import { linkAt } from "../sources/link-url";
import { fullTextQuery } from "./full-text-query";
import { hybridSearch, type RetrievedChunk } from "./hybrid-search";
import { retrievalSettings } from "./retrieval-settings";
import type { SearchFilters, SearchRequest, SearchResponse } from "./schemas";

export const DEFAULT_SEARCH_TOP_K = 10;

export interface RetrieveInput {
  query: string;
  collection: string;
  topK: number;
  filters?: SearchFilters;
  /** Overrides of the context's retrieval settings for this call only (evals compare legs). */
  retrieval?: RetrievalOverrides;
  /** The client's signal: a client that left stops the query's embedding request. */
  signal?: AbortSignal;
}

export interface Retrieval {
  chunks: RetrievedChunk[];
  embedMs: number;
  retrieveMs: number;
}

// Collection rows are never updated, so a context keeps the ones it has looked up and checked,
// saving a round trip per query. A search that finds nothing looks again, so a collection that
// was dropped (not_found) or dropped and recreated under its name (new id) is still seen.
const CHECKED_COLLECTIONS = cacheKey<Map<string, Collection>>("checked collections");

/** Collections are checked against an embedder: a context copied with another one checks anew. */
function checkedKey(context: LoreContext, name: string): string {
  return `${context.embedder.id}/${context.embedder.dimensions}/${name}`;
}

function checkedCollections(context: LoreContext): Map<string, Collection> {
  return contextCaches(context).get(CHECKED_COLLECTIONS, () => new Map());
}

async function checkedCollection(context: LoreContext, name: string): Promise<Collection> {
  const checked = checkedCollections(context);
  checked.delete(checkedKey(context, name));
  const collection = await requireCollection(context, name);
  checked.set(checkedKey(context, name), collection);
  return collection;
}

export async function retrieve(context: LoreContext, input: RetrieveInput): Promise<Retrieval> {
  const known = checkedCollections(context).get(checkedKey(context, input.collection));
  let collection = known ?? (await checkedCollection(context, input.collection));
  const embedStarted = performance.now();
  const settings = retrievalSettings(context.embedder.id, context.retrieval, input.retrieval);
  const embedder = context.queryEmbedder ?? context.embedder;
  const [vector] = await embedder.embed([input.query], input.signal);
  const retrieveStarted = performance.now();
  const searchIn = async (target: Collection) =>
    vector
      ? hybridSearch(context, target, fullTextQuery(input.query), vector, {
          ...settings,
          topK: input.topK,
          ...(input.filters ? { filters: input.filters } : {}),
        })
      : [];
  let chunks = await searchIn(collection);
  if (known && chunks.length === 0) {
    collection = await checkedCollection(context, input.collection);
    if (collection.id !== known.id) chunks = await searchIn(collection);
  }
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
  options: { signal?: AbortSignal } = {},
): Promise<SearchResponse> {
  const { chunks } = await retrieve(context, {
    ...(options.signal ? { signal: options.signal } : {}),
    query: request.query,
    collection: request.collection,
    topK: request.topK ?? DEFAULT_SEARCH_TOP_K,
    ...(request.filters ? { filters: request.filters } : {}),
  });
  return {
    results: chunks.map(
      ({ similarity: _similarity, textRank: _textRank, documentUrl, ...result }) => ({
        ...result,
        ...linkAt(documentUrl, result.startLine, result.endLine),
      }),
    ),
  };
}

export function roundMs(milliseconds: number): number {
  return Math.round(milliseconds * 10) / 10;
}
