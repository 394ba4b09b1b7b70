// The drizzle schema: one file per table.
export { apiKeys } from "./api-keys";
export { chunks } from "./chunks";
export { collectionStatistics } from "./collection-statistics";
export { collectionTerms } from "./collection-terms";
export { collections } from "./collections";
export { conversationMessages, conversations } from "./conversations";
export { documents } from "./documents";
export { feedback } from "./feedback";
export { INGEST_JOB_STATUSES, type IngestJobStatus, ingestJobs } from "./ingest-jobs";
export { insightGapResolutions } from "./insight-gap-resolutions";
export {
  insightCitationRollups,
  insightGapCitationRollups,
  insightGapQuestionRollups,
  insightLatencyRollups,
  insightQueryVotes,
  insightUsageRollups,
} from "./insight-rollups";
export { queries } from "./queries";
export { rateLimits } from "./rate-limits";
export { sourcePages } from "./source-pages";
export { SOURCE_KINDS, type SourceKind, sources } from "./sources";
