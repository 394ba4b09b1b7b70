// What the worker hands a source's sync besides the LoreContext: where clones live, limits, test seams.
import type { IngestFolderOptions } from "../ingestion/ingest-folder";
import type { IngestProgress } from "../ingestion/schemas";

export interface WebFetchOptions {
  /** Sent with every request. */
  userAgent?: string;
}

/** What the worker gives a source's sync beyond the LoreContext. */
export interface SourceSyncOptions {
  /** git keeps its bare clones under `<dataDir>/sources/`. */
  dataDir: string;
  gitTimeoutMs?: number;
  ingest?: Pick<
    IngestFolderOptions,
    "maxFileBytes" | "concurrency" | "chunking" | "embedConcurrency"
  >;
  /** Tests point web syncs at a local server; the SSRF guard still applies. */
  web?: WebFetchOptions;
}

export interface SourceSyncContext extends SourceSyncOptions {
  jobId?: string;
  signal?: AbortSignal;
  onProgress?: (progress: IngestProgress) => void;
}
