// Schemas of the ingest job verbs: the request that queues a job and the job as users see it.
import { z } from "zod";
import { CollectionName } from "../collections/schemas";
import { IngestProgress, IngestSummary } from "../ingestion/schemas";

export const IngestJobRequest = z
  .object({
    collection: CollectionName.default("default"),
    path: z.string().min(1).max(4096),
    sync: z.boolean().default(false),
  })
  .strict();
export type IngestJobRequest = z.infer<typeof IngestJobRequest>;

export const IngestJobStatus = z.enum(["queued", "running", "succeeded", "failed", "cancelled"]);
export type IngestJobStatus = z.infer<typeof IngestJobStatus>;

/** What users see of a job (API, CLI): no lease internals beyond who holds it. */
export const IngestJobView = z.object({
  id: z.string(),
  collection: z.string(),
  path: z.string(),
  sync: z.boolean(),
  status: IngestJobStatus,
  attempts: z.number().int(),
  maxAttempts: z.number().int(),
  progress: IngestProgress.partial(),
  summary: IngestSummary.optional(),
  error: z.string().optional(),
  workerId: z.string().optional(),
  createdAt: z.string(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
});
export type IngestJobView = z.infer<typeof IngestJobView>;

export const IngestJobList = z.object({ jobs: z.array(IngestJobView) });
export type IngestJobList = z.infer<typeof IngestJobList>;
