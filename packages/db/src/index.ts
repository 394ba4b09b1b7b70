// Lore's database: schema, client factory (PGlite or pg), migrations and shared SQL helpers.

export {
  type ChunkRow,
  chunkWriteTransaction,
  type WriteChunkRows,
  writesChunksByCopy,
} from "./chunk-rows";
export { DataDirLockedError, openDatabase } from "./client";
export { describeError, type ErrorDescription, isConnectionError, oneLine } from "./errors";
export { migrate, migrationsFolder } from "./migrate";
export { loadTemplate, templateFile } from "./pglite-template";
export { analyzeChunks, queryRows, queryRowsPrepared } from "./query";
export { type ReconnectOptions, retryWhenUnreachable, waitUntilReachable } from "./reconnect";
export * as schema from "./schema";
export {
  apiKeys,
  chunks,
  collectionStatistics,
  collections,
  conversationMessages,
  conversations,
  documents,
  feedback,
  INGEST_JOB_STATUSES,
  type IngestJobStatus,
  ingestJobs,
  insightGapResolutions,
  queries,
  rateLimits,
  SOURCE_KINDS,
  type SourceKind,
  sourcePages,
  sources,
} from "./schema";
export { vectorBinary } from "./schema/types";
export { dropFullTextIndex, ensureFullTextIndex, fullTextVectors } from "./search-index";
export type {
  Database,
  DatabaseTarget,
  LoreDb,
  LoreTransaction,
  SessionSettings,
} from "./types";
export type { HnswParameters, VectorIndexSettings } from "./vector-index";
export {
  chooseEfSearch,
  DEFAULT_HNSW,
  DEFAULT_HNSW_EF_SEARCH,
  DEFAULT_VECTOR_INDEX,
  dropVectorIndex,
  ensureVectorIndex,
  LARGE_HNSW_MIN_ROWS,
  outgrownVectorIndex,
  rebuildVectorIndex,
  searchEfSearch,
  vectorCast,
  vectorIndexExists,
  vectorIndexParameters,
  vectorRows,
} from "./vector-index";
