// Lore's domain: ingestion, retrieval, answering and collections, as verbs over a LoreContext.

// The apps log and map database errors with these without depending on @lore/db themselves.
export {
  DataDirLockedError,
  describeError,
  type ErrorDescription,
  isConnectionError,
} from "@lore/db";
export { isAllowedOrigin } from "./access/allowed-origins";
export {
  authenticate,
  authorize,
  createApiKey,
  forgetAuthenticatedKeys,
  KEYS_CHANGED_CHANNEL,
  listApiKeys,
  type Principal,
  revokeApiKey,
} from "./access/api-keys";
export { type IngestRoots, resolveCollectionFolder } from "./access/collection-roots";
export {
  consumeRateLimit,
  countAuthFailure,
  reserveTokens,
  settleTokens,
  type TokenReservation,
} from "./access/limits";
export { ApiKeyInfo, CreateKeyRequest, SCOPES, Scope } from "./access/schemas";
export { estimateAskTokens } from "./access/token-estimate";
export { type UsageRow, usageSince } from "./access/usage";
export type { AskOptions, PreparedAsk } from "./answering/ask";
export { ask, DEFAULT_ASK_TOP_K, prepareAsk, REWRITE_DEADLINE_MS } from "./answering/ask";
export type { Evidence, EvidenceThreshold } from "./answering/evidence";
export {
  DEFAULT_EVIDENCE_THRESHOLD,
  DEFAULT_MODEL_EVIDENCE_THRESHOLD,
  retrievalEvidence,
} from "./answering/evidence";
export type {
  DraftAnswer,
  ExtractiveInput,
  ExtractiveOptions,
} from "./answering/extractive-answerer";
export {
  DEFAULT_EXTRACTIVE,
  extractiveAnswer,
  NOT_FOUND_ANSWER,
} from "./answering/extractive-answerer";
export type { AnswerListener } from "./answering/generate-answer";
export { buildGroundedPrompt, NO_ANSWER, SYSTEM_PROMPT } from "./answering/grounded-prompt";
export {
  AskRequest,
  AskResponse,
  HistoryMessage,
  MAX_HISTORY_MESSAGE_LENGTH,
  MAX_HISTORY_MESSAGES,
  Timings,
  Usage,
} from "./answering/schemas";
export { answeringSettings, DEFAULT_ANSWERING, DEFAULT_CHAT_PRICES } from "./answering/settings";
export type { TermStatistics } from "./answering/term-statistics";
export { collectionTermStatistics, textTermStatistics } from "./answering/term-statistics";
export { preloadTokenizer } from "./answering/token-count";
export type { EnforcedAnswer } from "./citations/enforce-citations";
export { CitationRewriter, enforceCitations } from "./citations/enforce-citations";
export { Citation } from "./citations/schemas";
export type { Collection, CollectionSummary } from "./collections/collections";
export {
  ensureCollection,
  findCollection,
  listCollections,
  requireCollection,
} from "./collections/collections";
export { CollectionInfo, CollectionName, CollectionsResponse } from "./collections/schemas";
export type { LoreContext } from "./context";
export {
  addMessage,
  type ConversationOwner,
  type ConversationTurn,
  createConversation,
  DEFAULT_CONVERSATION_TTL_MS,
  getConversation,
} from "./conversations/conversations";
export * from "./conversations/schemas";
export type { ErrorCode } from "./errors";
export { ERROR_CODES, LoreError } from "./errors";
export { databaseReady } from "./health";
export { newId } from "./ids";
export type { ChunkingOptions, TextChunk } from "./ingestion/chunk-markdown";
export { chunkMarkdown, DEFAULT_CHUNKING } from "./ingestion/chunk-markdown";
export type { IngestFolderOptions } from "./ingestion/ingest-folder";
export { ingestFolder } from "./ingestion/ingest-folder";
export { resolveIngestPath } from "./ingestion/ingest-roots";
export type { LoadedDocument } from "./ingestion/load-folder";
export { DEFAULT_MAX_FILE_BYTES } from "./ingestion/load-folder";
export { deleteDocument, putDocument } from "./ingestion/put-document";
export {
  DeleteDocumentResponse,
  IngestProgress,
  IngestStages,
  IngestSummary,
  PutDocumentRequest,
  PutDocumentResponse,
} from "./ingestion/schemas";
export { writeDocument } from "./ingestion/write-document";
export { listGaps, resolveGap } from "./insights/gaps";
export { ingestQueueAgeSeconds } from "./insights/queue-age";
export { deleteExpiredQueries, scheduleQueryRetention } from "./insights/retention";
export {
  Gap,
  GapsRequest,
  GapsResponse,
  ResolveGapRequest,
  ResolveGapResponse,
  RetentionResult,
  UsageRequest,
  UsageResponse,
} from "./insights/schemas";
export { insightsUsage } from "./insights/usage";
export { jobCountsByStatus } from "./jobs/job-counts";
export * from "./jobs/job-queue";
export * from "./jobs/process-job";
export * from "./jobs/schemas";
export { recordFeedback } from "./queries/feedback";
export { FeedbackRequest, FeedbackResponse } from "./queries/schemas";
export type { RetrievalOptions, RetrievedChunk } from "./retrieval/hybrid-search";
export { hybridSearch, TEXT_RESCORE_PER_CANDIDATE } from "./retrieval/hybrid-search";
export {
  DEFAULT_RETRIEVAL,
  LOCAL_EMBEDDER_RETRIEVAL,
  retrievalOverrides,
  retrievalSettings,
} from "./retrieval/retrieval-settings";
export {
  MAX_QUESTION_LENGTH,
  MAX_TOP_K,
  SearchFilters,
  SearchRequest,
  SearchResponse,
  SearchResult,
} from "./retrieval/schemas";
export { DEFAULT_SEARCH_TOP_K, retrieve, search } from "./retrieval/search";
export { SAMPLE_DOCS_DIR } from "./sample-docs";
export type {
  AnsweringSettings,
  ChatPrice,
  RetrievalOverrides,
  RetrievalSettings,
} from "./settings";
export { localGitPath } from "./sources/git";
export { citationUrl } from "./sources/link-url";
export { runSourceSync } from "./sources/run-source-sync";
export { nextRunAfter, Schedule } from "./sources/schedule";
export * from "./sources/schemas";
export {
  createSource,
  deleteSource,
  enqueueDueSyncs,
  getSource,
  listSources,
  syncSource,
  updateSource,
} from "./sources/sources";
export type { SourceSyncOptions } from "./sources/sync-options";
