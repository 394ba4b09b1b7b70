// The ingestion worker loop: claims jobs from the Postgres queue, runs them, and stops gracefully.
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import {
  describeError,
  enqueueDueSyncs,
  INGEST_JOBS_CHANNEL,
  isConnectionError,
  type LoreContext,
  type ProcessJobOptions,
  processNextIngestJob,
  type RetryPolicy,
} from "@lore/core";
import type { Logger } from "pino";

export interface WorkerOptions {
  /** Shown in `ingest_jobs.worker_id`; unique per running worker by default. */
  workerId?: string;
  /** Jobs run at once by this worker. */
  concurrency?: number;
  /** A job whose worker stops heartbeating for this long is claimed again by another worker. */
  leaseMs?: number;
  /** Pause between polls of an empty queue. */
  pollMs?: number;
  /** Subscribes to database notifications (`Database.listen`): a queued job wakes idle slots at once. */
  listen?: (channel: string, onNotify: () => void) => Promise<() => Promise<void>>;
  logger?: Logger;
  ingest?: ProcessJobOptions["ingest"];
  retry?: RetryPolicy;
  /** Where source syncs keep their git clones (the data directory). */
  sources?: ProcessJobOptions["sources"];
  /** How often this worker queues the sources' due syncs (any number of workers may); 0: never. */
  scheduleMs?: number;
}

export interface RunningWorker {
  readonly id: string;
  /** Stops claiming, hands the jobs it is running back to the queue, and resolves when done. */
  stop(): Promise<void>;
  /** Settles when the loop has ended. */
  readonly done: Promise<void>;
}

export const DEFAULT_WORKER_LEASE_MS = 30_000;
export const DEFAULT_WORKER_POLL_MS = 1000;
export const DEFAULT_SCHEDULE_MS = 15_000;

export function runWorker(context: LoreContext, options: WorkerOptions = {}): RunningWorker {
  const id = options.workerId ?? `${hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`;
  const stopping = new AbortController();
  const pollMs = options.pollMs ?? DEFAULT_WORKER_POLL_MS;
  const logger = options.logger;
  // Aborted (and replaced) on each notification; a slot takes the current one before it claims,
  // so a job queued while it was claiming still cuts its pause short.
  let wake = new AbortController();
  const nudge = () => {
    wake.abort();
    wake = new AbortController();
  };
  const listening = options.listen?.(INGEST_JOBS_CHANNEL, nudge).catch((error: unknown) => {
    logger?.warn(
      { error: describeError(error), workerId: id },
      "cannot listen for new jobs; polling only",
    );
    return undefined;
  });
  // Shared by the slots: the first to fail on an outage says so, the first to succeed after says so.
  let unreachable = false;
  const slot = async (): Promise<void> => {
    while (!stopping.signal.aborted) {
      const woken = wake.signal;
      const outcome = await processNextIngestJob(context, {
        workerId: id,
        leaseMs: options.leaseMs ?? DEFAULT_WORKER_LEASE_MS,
        signal: stopping.signal,
        ...(options.ingest ? { ingest: options.ingest } : {}),
        ...(options.retry ? { retry: options.retry } : {}),
        ...(options.sources ? { sources: options.sources } : {}),
      }).catch((error: unknown) => {
        // The database is unreachable or similar: keep polling, the queue keeps the jobs. An
        // outage is logged once, not at every poll, and never with the query's parameters.
        if (!isConnectionError(error)) {
          logger?.error(
            { error: describeError(error), workerId: id },
            "could not claim or run a job",
          );
        } else if (!unreachable) {
          logger?.warn(
            { error: describeError(error), workerId: id },
            "the database is unreachable; polling until it is back",
          );
        }
        unreachable ||= isConnectionError(error);
        return null;
      });
      if (outcome !== null && unreachable) {
        unreachable = false;
        logger?.info({ workerId: id }, "the database is reachable again");
      }
      if (outcome) {
        const { job, status, error } = outcome;
        const fields = { jobId: job.id, attempt: job.attempts, status, workerId: id };
        if (status === "lost") {
          logger?.warn({ ...fields, error }, "ingest job lost its lease; another worker has it");
        } else if (error) logger?.warn({ ...fields, error }, "ingest job did not succeed");
        else logger?.info(fields, "ingest job finished");
        continue;
      }
      // Jitter keeps several idle workers from polling in lockstep.
      const pause = pollMs / 2 + Math.random() * pollMs;
      await sleep(pause, undefined, { signal: AbortSignal.any([stopping.signal, woken]) }).catch(
        () => {},
      );
    }
  };
  // The scheduler tick: the database queues each due sync once, whichever worker ticks first.
  const scheduleMs = options.scheduleMs ?? DEFAULT_SCHEDULE_MS;
  const scheduler = async (): Promise<void> => {
    while (scheduleMs > 0 && !stopping.signal.aborted) {
      await enqueueDueSyncs(context, new Date()).catch((error: unknown) => {
        if (!isConnectionError(error)) {
          logger?.error({ error: describeError(error), workerId: id }, "could not queue due syncs");
        }
      });
      await sleep(scheduleMs, undefined, { signal: stopping.signal }).catch(() => {});
    }
  };
  logger?.info({ workerId: id }, "worker started");
  const done = Promise.all([
    ...Array.from({ length: Math.max(1, options.concurrency ?? 1) }, () => slot()),
    scheduler(),
  ]).then(async () => {
    await (await listening)?.();
    logger?.info({ workerId: id }, "worker stopped");
  });
  return {
    id,
    done,
    stop: async () => {
      stopping.abort(new Error("the worker is stopping"));
      await done;
    },
  };
}
