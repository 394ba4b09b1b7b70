// Lore's domain: ingestion, retrieval, answering and collections, as verbs over a LoreContext.
export { ask, DEFAULT_ASK_TOP_K } from "./answering/ask";
export type { DraftAnswer, ExtractiveOptions } from "./answering/extractive-answerer";
export {
  DEFAULT_EXTRACTIVE,
  extractiveAnswer,
  NOT_FOUND_ANSWER,
} from "./answering/extractive-answerer";
export type { Collection, CollectionSummary } from "./collections/collections";
export {
  COLLECTION_NAME_PATTERN,
  ensureCollection,
  findCollection,
  listCollections,
  requireCollection,
} from "./collections/collections";
export type { LoreContext } from "./context";
export * from "./contract";
export type { ErrorCode } from "./errors";
export { ERROR_CODES, LoreError } from "./errors";
export { databaseReady } from "./health";
export { newId } from "./ids";
export type { ChunkingOptions, TextChunk } from "./ingestion/chunk-markdown";
export { chunkMarkdown, DEFAULT_CHUNKING } from "./ingestion/chunk-markdown";
export type { IngestFolderOptions, IngestProgress, IngestSummary } from "./ingestion/ingest-folder";
export { ingestFolder } from "./ingestion/ingest-folder";
export type { RetrievalOptions, RetrievedChunk } from "./retrieval/hybrid-search";
export { hybridSearch } from "./retrieval/hybrid-search";
export { DEFAULT_SEARCH_TOP_K, retrieve, search } from "./retrieval/search";
export { SAMPLE_DOCS_DIR } from "./sample-docs";
