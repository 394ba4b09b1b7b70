// The search verb: embed the query and run hybrid retrieval over one collection.
import { type Collection, requireCollection } from "../collections/collections";
import type { LoreContext } from "../context";
import type { SearchFilters, SearchRequest, SearchResponse } from "../contract";
import { hybridSearch, type RetrievedChunk } from "./hybrid-search";
import { type RetrievalOverrides, retrievalSettings } from "./retrieval-settings";

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
const checkedCollections = new WeakMap<LoreContext, Map<string, Collection>>();

async function checkedCollection(context: LoreContext, name: string): Promise<Collection> {
  let checked = checkedCollections.get(context);
  if (!checked) {
    checked = new Map();
    checkedCollections.set(context, checked);
  }
  checked.delete(name);
  const collection = await requireCollection(context.db, name, context.embedder);
  checked.set(name, collection);
  return collection;
}

export async function retrieve(context: LoreContext, input: RetrieveInput): Promise<Retrieval> {
  const known = checkedCollections.get(context)?.get(input.collection);
  let collection = known ?? (await checkedCollection(context, input.collection));
  const embedStarted = performance.now();
  const settings = retrievalSettings(context.embedder.id, context.retrieval, input.retrieval);
  const embedder = context.queryEmbedder ?? context.embedder;
  const [vector] = await embedder.embed([input.query], input.signal);
  const retrieveStarted = performance.now();
  const searchIn = async (target: Collection) =>
    vector
      ? hybridSearch(context.db, target, input.query, vector, {
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
    results: chunks.map(({ similarity: _similarity, textRank: _textRank, ...result }) => result),
  };
}

export function roundMs(milliseconds: number): number {
  return Math.round(milliseconds * 10) / 10;
}
