// @lore/client: a typed fetch client for the Lore API (ask, streamed ask, search, ingest jobs, feedback).

export type {
  AskInput,
  AskStreamEvent,
  IngestJob,
  LoreClient,
  LoreClientOptions,
  SearchInput,
} from "./client";
export { createLoreClient, LoreApiError } from "./client";
