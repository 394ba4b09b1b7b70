// The durable ingest job queue in Postgres: enqueue, claim with a lease, heartbeat, complete, fail, cancel.
import { ingestJobs, type LoreDb, queryRows } from "@lore/db";
import { and, desc, eq, inArray, sql } from "drizzle-orm";
import type { LoreContext } from "../context";
import { LoreError } from "../errors";
import { newId } from "../ids";
import { IngestProgress, IngestSummary } from "../ingestion/schemas";
import { cleanExtractedText } from "../ingestion/text-hygiene";
import type { IngestJobRequest, IngestJobStatus, IngestJobView } from "./schemas";

export const DEFAULT_MAX_ATTEMPTS = 3;

export interface RetryPolicy {
  /** Delay before the second attempt; doubled for each later one. */
  baseDelayMs: number;
  maxDelayMs: number;
}
export const DEFAULT_RETRY: RetryPolicy = { baseDelayMs: 2000, maxDelayMs: 5 * 60_000 };

type JobRow = typeof ingestJobs.$inferSelect;

export interface ClaimedJob {
  id: string;
  collection: string;
  path: string;
  sync: boolean;
  attempts: number;
  maxAttempts: number;
  workerId: string;
  /** Set when the job is a source's sync (sources/): the processor runs that sync. */
  sourceId?: string;
}

export async function enqueueIngestJob(
  context: Pick<LoreContext, "db">,
  request: IngestJobRequest,
  options: { maxAttempts?: number } = {},
): Promise<IngestJobView> {
  const [row] = await context.db
    .insert(ingestJobs)
    .values({
      id: newId("job"),
      collection: request.collection,
      path: request.path,
      sync: request.sync,
      maxAttempts: options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    })
    .returning();
  if (!row) throw new LoreError("internal", "The job could not be queued.");
  await notifyWorkers(context.db);
  return toView(row);
}

/** Idle workers LISTEN on this channel and claim at once instead of at their next poll. */
export const INGEST_JOBS_CHANNEL = "lore_ingest_jobs";
/** Notified when a job has ended (succeeded, failed or cancelled): whoever waits on it looks now. */
export const INGEST_JOB_ENDED_CHANNEL = "lore_ingest_job_ended";

async function notify(db: LoreDb, channel: string): Promise<void> {
  await db.execute(sql`SELECT pg_notify(${channel}, '')`);
}

async function notifyWorkers(db: LoreDb): Promise<void> {
  await notify(db, INGEST_JOBS_CHANNEL);
}

/** Held while a claim runs (claimIngestJob): one claim at a time sees and starts jobs. */
const CLAIM_LOCK = "lore_ingest_jobs_claim";

/**
 * A job of this one's collection may have been waiting for it to end (one running job per
 * collection): idle workers are woken to claim it now rather than at their next poll.
 */
async function notifyWaitingJobs(db: LoreDb, job: { id: string }): Promise<void> {
  await db.execute(
    sql`SELECT pg_notify(${INGEST_JOBS_CHANNEL}, '') FROM ingest_jobs waiting
      WHERE waiting.status = 'queued'
        AND waiting.collection = (SELECT collection FROM ingest_jobs WHERE id = ${job.id})
      LIMIT 1`,
  );
}

/**
 * Claims the next runnable job: queued and due, or running with an expired lease (its worker
 * died), and only while no other job of its collection runs with a live lease: two jobs on one
 * collection would race on the same documents. The UPDATE picks its row with FOR UPDATE SKIP
 * LOCKED, so concurrent workers never take the same job; a transaction-level advisory lock
 * serialises the claims themselves, so the "none of its collection running" check of one claim
 * sees the job another claim just started (each claim takes its snapshot after the lock).
 */
export async function claimIngestJob(
  context: Pick<LoreContext, "db">,
  options: { workerId: string; leaseMs: number; jobId?: string },
): Promise<ClaimedJob | undefined> {
  await failExhaustedJobs(context.db);
  const onlyJob = options.jobId ? sql`AND candidate.id = ${options.jobId}` : sql``;
  const row = await context.db.transaction(async (transaction) => {
    await transaction.execute(sql`SELECT pg_advisory_xact_lock(hashtext(${CLAIM_LOCK}))`);
    // clock_timestamp(), not now(): the transaction may have waited for the lock.
    const [claimed] = await queryRows<{
      id: string;
      collection: string;
      path: string;
      sync: boolean;
      attempts: number;
      max_attempts: number;
      source_id: string | null;
    }>(
      transaction,
      sql`UPDATE ingest_jobs
        SET status = 'running', attempts = attempts + 1, worker_id = ${options.workerId},
            lease_expires_at = clock_timestamp() + make_interval(secs => ${options.leaseMs / 1000}::double precision),
            heartbeat_at = clock_timestamp(), started_at = coalesce(started_at, clock_timestamp()),
            updated_at = clock_timestamp()
        WHERE id = (
          SELECT candidate.id FROM ingest_jobs candidate
          WHERE ((candidate.status = 'queued' AND candidate.run_after <= clock_timestamp())
             OR (candidate.status = 'running' AND candidate.lease_expires_at < clock_timestamp()
                 AND candidate.attempts < candidate.max_attempts))
            AND NOT EXISTS (
              SELECT 1 FROM ingest_jobs running
              WHERE running.collection = candidate.collection AND running.id <> candidate.id
                AND running.status = 'running' AND running.lease_expires_at >= clock_timestamp())
            ${onlyJob}
          ORDER BY candidate.run_after, candidate.created_at
          FOR UPDATE SKIP LOCKED
          LIMIT 1)
        RETURNING id, collection, path, sync, attempts, max_attempts, source_id`,
    );
    return claimed;
  });
  if (!row) return undefined;
  return {
    id: row.id,
    collection: row.collection,
    path: row.path,
    sync: row.sync,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    workerId: options.workerId,
    ...(row.source_id ? { sourceId: row.source_id } : {}),
  };
}

// A job whose worker died on its last allowed attempt is not retried: it fails, saying why.
async function failExhaustedJobs(db: LoreDb): Promise<void> {
  await db.execute(
    sql`UPDATE ingest_jobs
      SET status = 'failed', finished_at = now(), updated_at = now(), worker_id = NULL,
          lease_expires_at = NULL,
          error = coalesce(error || '; ', '') || 'the worker stopped responding (lease expired) on the last attempt'
      WHERE status = 'running' AND lease_expires_at < now() AND attempts >= max_attempts`,
  );
}

/**
 * Renews the lease and records progress. False when the job is no longer this worker's
 * (cancelled, or its lease expired and another worker took it): the caller must stop.
 */
export async function heartbeatIngestJob(
  context: Pick<LoreContext, "db">,
  job: ClaimedJob,
  options: { leaseMs: number; progress: IngestProgress },
): Promise<boolean> {
  const rows = await context.db
    .update(ingestJobs)
    .set({
      leaseExpiresAt: sql`now() + make_interval(secs => ${options.leaseMs / 1000}::double precision)`,
      heartbeatAt: sql`now()`,
      updatedAt: sql`now()`,
      progress: options.progress,
    })
    .where(ownedBy(job))
    .returning({ id: ingestJobs.id });
  return rows.length > 0;
}

export async function completeIngestJob(
  context: Pick<LoreContext, "db">,
  job: ClaimedJob,
  result: { summary: IngestSummary; progress: IngestProgress },
): Promise<boolean> {
  const rows = await context.db
    .update(ingestJobs)
    .set({
      status: "succeeded",
      summary: result.summary,
      progress: result.progress,
      error: null,
      workerId: null,
      leaseExpiresAt: null,
      finishedAt: sql`now()`,
      updatedAt: sql`now()`,
    })
    .where(ownedBy(job))
    .returning({ id: ingestJobs.id });
  if (rows.length > 0) {
    await notify(context.db, INGEST_JOB_ENDED_CHANNEL);
    await notifyWaitingJobs(context.db, job);
  }
  return rows.length > 0;
}

/** Exponential backoff with jitter: 50–100 % of base × 2^(attempt−1), capped. */
export function retryDelayMs(
  attempt: number,
  policy: RetryPolicy = DEFAULT_RETRY,
  random = Math.random,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/**
 * Records a failed attempt: queued again after a backoff while attempts remain and the error is
 * retryable, else `failed` with the error kept.
 */
export async function failIngestJob(
  context: Pick<LoreContext, "db">,
  job: ClaimedJob,
  failure: { error: string; retryable: boolean; retry?: RetryPolicy },
): Promise<IngestJobStatus> {
  const retry = failure.retryable && job.attempts < job.maxAttempts;
  const delaySeconds = retryDelayMs(job.attempts, failure.retry) / 1000;
  const rows = await context.db
    .update(ingestJobs)
    .set({
      status: retry ? "queued" : "failed",
      // A NUL (from a bad file's text) would make this very UPDATE fail and strand the job.
      error: cleanExtractedText(failure.error.slice(0, 4000)),
      workerId: null,
      leaseExpiresAt: null,
      updatedAt: sql`now()`,
      ...(retry
        ? { runAfter: sql`now() + make_interval(secs => ${delaySeconds}::double precision)` }
        : { finishedAt: sql`now()` }),
    })
    .where(ownedBy(job))
    .returning({ status: ingestJobs.status });
  if (rows[0]?.status === "failed") await notify(context.db, INGEST_JOB_ENDED_CHANNEL);
  // Failed or queued for a retry later, the collection is free: a job waiting behind it can start.
  if (rows.length > 0) await notifyWaitingJobs(context.db, job);
  return rows[0]?.status ?? "cancelled";
}

/** A worker stopping gracefully hands its job back at once; the interrupted attempt is not counted. */
export async function releaseIngestJob(
  context: Pick<LoreContext, "db">,
  job: ClaimedJob,
): Promise<void> {
  await context.db
    .update(ingestJobs)
    .set({
      status: "queued",
      attempts: sql`greatest(${ingestJobs.attempts} - 1, 0)`,
      workerId: null,
      leaseExpiresAt: null,
      runAfter: sql`now()`,
      updatedAt: sql`now()`,
    })
    .where(ownedBy(job));
  await notifyWorkers(context.db);
}

/** Cancels a queued or running job; a running job's worker notices at its next heartbeat. */
export async function cancelIngestJob(
  context: Pick<LoreContext, "db">,
  id: string,
): Promise<IngestJobView> {
  const [row] = await context.db
    .update(ingestJobs)
    .set({
      status: "cancelled",
      workerId: null,
      leaseExpiresAt: null,
      finishedAt: sql`now()`,
      updatedAt: sql`now()`,
    })
    .where(and(eq(ingestJobs.id, id), sql`${ingestJobs.status} IN ('queued', 'running')`))
    .returning();
  if (row) {
    await notify(context.db, INGEST_JOB_ENDED_CHANNEL);
    await notifyWaitingJobs(context.db, row);
    return toView(row);
  }
  const existing = await getIngestJob(context, id);
  throw new LoreError(
    "conflict",
    `Job ${id} is already ${existing.status}; it cannot be cancelled.`,
  );
}

export async function getIngestJob(
  context: Pick<LoreContext, "db">,
  id: string,
): Promise<IngestJobView> {
  const [row] = await context.db.select().from(ingestJobs).where(eq(ingestJobs.id, id));
  if (!row) throw new LoreError("not_found", `Job ${id} does not exist.`);
  return toView(row);
}

export async function listIngestJobs(
  context: Pick<LoreContext, "db">,
  options: { limit?: number; status?: IngestJobStatus; collections?: readonly string[] } = {},
): Promise<IngestJobView[]> {
  const rows = await context.db
    .select()
    .from(ingestJobs)
    .where(
      and(
        options.status ? eq(ingestJobs.status, options.status) : undefined,
        options.collections ? inArray(ingestJobs.collection, [...options.collections]) : undefined,
      ),
    )
    .orderBy(desc(ingestJobs.createdAt), desc(ingestJobs.id))
    .limit(options.limit ?? 20);
  return rows.map(toView);
}

function ownedBy(job: ClaimedJob) {
  return and(
    eq(ingestJobs.id, job.id),
    eq(ingestJobs.workerId, job.workerId),
    eq(ingestJobs.attempts, job.attempts),
    eq(ingestJobs.status, "running"),
  );
}

function toView(row: JobRow): IngestJobView {
  const summary = IngestSummary.safeParse(row.summary);
  const progress = IngestProgress.partial().safeParse(row.progress);
  return {
    id: row.id,
    collection: row.collection,
    path: row.path,
    sync: row.sync,
    status: row.status,
    attempts: row.attempts,
    maxAttempts: row.maxAttempts,
    progress: progress.success ? progress.data : {},
    ...(summary.success ? { summary: summary.data } : {}),
    ...(row.error ? { error: row.error } : {}),
    ...(row.workerId ? { workerId: row.workerId } : {}),
    createdAt: row.createdAt.toISOString(),
    ...(row.startedAt ? { startedAt: row.startedAt.toISOString() } : {}),
    ...(row.finishedAt ? { finishedAt: row.finishedAt.toISOString() } : {}),
  };
}
