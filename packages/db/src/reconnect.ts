// Riding out a database outage: wait until Postgres answers again, and retry work cut off by one.
import { setTimeout as sleep } from "node:timers/promises";
import { sql } from "drizzle-orm";
import { isConnectionError } from "./errors";
import type { LoreDb } from "./types";

export interface ReconnectOptions {
  /** Stops waiting (rejecting with the signal's reason): a worker shutting down, a lost lease. */
  signal?: AbortSignal;
  /** First pause between probes; doubled each time up to `maxDelayMs`, with jitter. */
  minDelayMs?: number;
  maxDelayMs?: number;
}

const MIN_DELAY_MS = 100;
// Short enough that the service is back within a second or two of Postgres (issue 13: ≤ 5 s).
const MAX_DELAY_MS = 1000;

/** True once the database answers `SELECT 1`; false while it is unreachable (any other error throws). */
export async function databaseReachable(db: LoreDb): Promise<boolean> {
  try {
    await db.execute(sql`SELECT 1`);
    return true;
  } catch (error) {
    if (isConnectionError(error)) return false;
    throw error;
  }
}

/** Resolves when the database answers again, probing with backoff; rejects if `signal` aborts. */
export async function waitUntilReachable(
  db: LoreDb,
  options: ReconnectOptions = {},
): Promise<void> {
  let delayMs = options.minDelayMs ?? MIN_DELAY_MS;
  const maxDelayMs = options.maxDelayMs ?? MAX_DELAY_MS;
  for (;;) {
    options.signal?.throwIfAborted();
    if (await databaseReachable(db)) return;
    await sleep(delayMs / 2 + Math.random() * (delayMs / 2), undefined, {
      ...(options.signal ? { signal: options.signal } : {}),
    });
    delayMs = Math.min(delayMs * 2, maxDelayMs);
  }
}

/**
 * Runs `work`; when it fails because the database connection broke, waits until the database
 * answers and runs it again. Only for idempotent work (an ingest that skips unchanged
 * documents, an UPDATE guarded by its own WHERE), and bounded by `signal`: other errors, and an
 * abort, end it as usual.
 */
export async function retryWhenUnreachable<T>(
  db: LoreDb,
  work: () => Promise<T>,
  options: ReconnectOptions & { onRetry?: (error: unknown) => void } = {},
): Promise<T> {
  for (;;) {
    try {
      return await work();
    } catch (error) {
      if (!isConnectionError(error) || options.signal?.aborted) throw error;
      options.onRetry?.(error);
      await waitUntilReachable(db, options);
    }
  }
}
