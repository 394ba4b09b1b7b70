// Runs one claimed ingest job: the folder ingest, with heartbeats that renew the lease and save progress.
import { setTimeout as sleep } from "node:timers/promises";
import { describeError, retryWhenUnreachable } from "@lore/db";
import { ProviderError } from "@lore/providers";
import type { LoreContext } from "../context";
import { LoreError } from "../errors";
import { type IngestFolderOptions, ingestFolder } from "../ingestion/ingest-folder";
import { emptyProgress } from "../ingestion/ingest-report";
import type { IngestProgress } from "../ingestion/schemas";
import { runSourceSync } from "../sources/run-source-sync";
import type { SourceSyncOptions } from "../sources/sync-options";
import {
  type ClaimedJob,
  claimIngestJob,
  completeIngestJob,
  failIngestJob,
  heartbeatIngestJob,
  type RetryPolicy,
  releaseIngestJob,
} from "./job-queue";
import type { IngestJobStatus } from "./schemas";

export interface ProcessJobOptions {
  workerId: string;
  /** A job whose lease lapses (its worker died) is claimable by another worker. */
  leaseMs: number;
  /** How often the lease is renewed and progress saved; at most a third of the lease. */
  heartbeatMs?: number;
  /** Claim only this job (the CLI running its own job in-process). */
  jobId?: string;
  /** Aborting stops the ingest and hands the job back to the queue (graceful shutdown). */
  signal?: AbortSignal;
  ingest?: Pick<
    IngestFolderOptions,
    "include" | "exclude" | "maxFileBytes" | "concurrency" | "chunking" | "embedConcurrency"
  >;
  retry?: RetryPolicy;
  /** Where source syncs keep their state (git clones); needed to run a source's sync job. */
  sources?: SourceSyncOptions;
}

export interface JobOutcome {
  job: ClaimedJob;
  /** `queued` after a retryable failure or a graceful stop; `lost` when another worker took over. */
  status: IngestJobStatus | "lost";
  error?: string;
}

const LEASE_LOST = "the job is no longer held by this worker (lease lost or job cancelled)";

class LeaseLost extends Error {
  override readonly name = "LeaseLost";
}

/** Claims and runs the next job; undefined when none is runnable. */
export async function processNextIngestJob(
  context: LoreContext,
  options: ProcessJobOptions,
): Promise<JobOutcome | undefined> {
  if (options.signal?.aborted) return undefined;
  const job = await claimIngestJob(context, {
    workerId: options.workerId,
    leaseMs: options.leaseMs,
    ...(options.jobId ? { jobId: options.jobId } : {}),
  });
  if (!job) return undefined;
  return runClaimedJob(context, job, options);
}

async function runClaimedJob(
  context: LoreContext,
  job: ClaimedJob,
  options: ProcessJobOptions,
): Promise<JobOutcome> {
  const controller = new AbortController();
  const stop = () => controller.abort(options.signal?.reason);
  options.signal?.addEventListener("abort", stop, { once: true });
  if (options.signal?.aborted) stop();
  let progress: IngestProgress = emptyProgress();
  const heartbeatMs = Math.min(options.heartbeatMs ?? 1000, options.leaseMs / 3);
  const heartbeats = (async () => {
    while (!controller.signal.aborted) {
      await sleep(heartbeatMs, undefined, { signal: controller.signal }).catch(() => {});
      if (controller.signal.aborted) return;
      const owned = await heartbeatIngestJob(context, job, {
        leaseMs: options.leaseMs,
        progress,
      }).catch(() => true); // A database blip: the next beat tries again before the lease lapses.
      if (!owned) controller.abort(new LeaseLost(LEASE_LOST));
    }
  })();
  try {
    // A database blip (restart, failover, terminated backend) does not cost an attempt: the
    // ingest waits for the database and runs again under the same lease, skipping what it wrote.
    const summary = await retryWhenUnreachable(
      context.db,
      () =>
        job.sourceId
          ? runSourceSync(context, job.sourceId, {
              dataDir: "",
              ...options.sources,
              ingest: { ...options.ingest, ...options.sources?.ingest },
              jobId: job.id,
              signal: controller.signal,
              onProgress: (next) => {
                progress = next;
              },
            })
          : ingestFolder(context, job.path, {
              ...options.ingest,
              collection: job.collection,
              sync: job.sync,
              signal: controller.signal,
              onProgress: (next) => {
                progress = next;
              },
            }),
      { signal: controller.signal },
    );
    controller.abort();
    await heartbeats;
    const completed = await retryWhenUnreachable(
      context.db,
      () => completeIngestJob(context, job, { summary, progress }),
      options.signal ? { signal: options.signal } : {},
    );
    if (completed) return { job, status: "succeeded" };
    // Cancelled meanwhile, or the lease lapsed and another worker holds the job now.
    return { job, status: "lost", error: `${LEASE_LOST}; its result was not saved` };
  } catch (error) {
    const reason: unknown = controller.signal.reason;
    controller.abort();
    await heartbeats;
    if (reason instanceof LeaseLost) return { job, status: "lost", error: reason.message };
    if (options.signal?.aborted) {
      await releaseIngestJob(context, job);
      return { job, status: "queued", error: "the worker stopped; the job was handed back" };
    }
    const message = jobError(error);
    const status = await failIngestJob(context, job, {
      error: message,
      retryable: isRetryable(error),
      ...(options.retry ? { retry: options.retry } : {}),
    });
    return { job, status, error: message };
  } finally {
    options.signal?.removeEventListener("abort", stop);
  }
}

/**
 * What is stored on the job and logged: Lore's own messages as they are; anything else by code
 * and the driver's short message, never a query's parameters (document text) or the SQL.
 */
function jobError(error: unknown): string {
  if (error instanceof LoreError) return error.message;
  const { code, message } = describeError(error);
  return `${code}: ${message}`;
}

// Bad input (a missing folder, another embedder) fails the same way every time: no retry.
function isRetryable(error: unknown): boolean {
  if (error instanceof LoreError)
    return (
      error.code === "provider_unavailable" ||
      error.code === "unavailable" ||
      error.code === "internal"
    );
  if (error instanceof ProviderError) return error.retryable;
  return true;
}
