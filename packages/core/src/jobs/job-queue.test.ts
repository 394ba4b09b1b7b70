import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { type Database, ingestJobs, type LoreDb, openDatabase } from "@lore/db";
import {
  createRealTestDatabase,
  type RealTestDatabase,
  realPostgresSuite,
  realPostgresUrl,
} from "@lore/db/real-postgres";
import { createTestDatabase, serveOverWire, type WireServer } from "@lore/db/testing";
import { createLocalEmbedder } from "@lore/providers";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LoreContext } from "../context";
import { onePagePdf } from "../ingestion/test-pdf";
import {
  type ClaimedJob,
  cancelIngestJob,
  claimIngestJob,
  completeIngestJob,
  enqueueIngestJob,
  failIngestJob,
  getIngestJob,
  heartbeatIngestJob,
  INGEST_JOB_ENDED_CHANNEL,
  INGEST_JOBS_CHANNEL,
  listIngestJobs,
  retryDelayMs,
} from "./job-queue";
import { processNextIngestJob } from "./process-job";

let embedded: Database;
let wire: WireServer;
let pooled: Database;
let folder: string;

const PROGRESS = {
  filesSeen: 1,
  filesProcessed: 1,
  filesSkipped: 0,
  filesFailed: 0,
  chunksEmbedded: 1,
  chunksWritten: 1,
};

const SUMMARY = {
  collection: "c",
  documents: { added: 0, updated: 0, unchanged: 0, deleted: 0 },
  chunks: { added: 0, deleted: 0 },
  textsEmbedded: 0,
  skipped: [],
  ms: 1,
};

beforeAll(async () => {
  embedded = await createTestDatabase();
  wire = await serveOverWire(embedded);
  pooled = await openDatabase({ kind: "postgres", url: wire.url, poolSize: 6 });
  folder = await mkdtemp(path.join(tmpdir(), "lore-jobs-"));
  await writeFile(path.join(folder, "a.md"), "# A\n\nThe A service listens on 7001.\n");
});
afterAll(async () => {
  await pooled.close();
  await wire.stop();
  await embedded.close();
  await rm(folder, { recursive: true, force: true });
});

async function drain(): Promise<void> {
  await embedded.db.delete(ingestJobs);
}

/** Makes the job's lease lapse now, as if its worker had died long ago: no waiting on a clock. */
async function expireLease(db: LoreDb, id: string): Promise<void> {
  await db.execute(
    sql`UPDATE ingest_jobs SET lease_expires_at = now() - interval '1 second' WHERE id = ${id}`,
  );
}

/** Makes a job waiting out its retry backoff due now. */
async function makeDue(db: LoreDb, id: string): Promise<void> {
  await db.execute(sql`UPDATE ingest_jobs SET run_after = now() WHERE id = ${id}`);
}

/** Several workers claim at once until none gets a job; returns the collections they got. */
async function claimConcurrently(db: LoreDb, workers: number): Promise<ClaimedJob[]> {
  const claimed: ClaimedJob[] = [];
  await Promise.all(
    Array.from({ length: workers }, async (_, index) => {
      for (;;) {
        const job = await claimIngestJob({ db }, { workerId: `w${index}`, leaseMs: 60_000 });
        if (!job) return;
        claimed.push(job);
      }
    }),
  );
  return claimed;
}

/**
 * Two jobs on collection "same" and one on "other", claimed by six workers at once: one job per
 * collection runs; the second "same" job is claimable once the first has ended.
 */
async function runsOneJobPerCollection(db: LoreDb, folder: string): Promise<void> {
  const first = await enqueueIngestJob({ db }, { collection: "same", path: folder, sync: false });
  const second = await enqueueIngestJob({ db }, { collection: "same", path: folder, sync: false });
  await enqueueIngestJob({ db }, { collection: "other", path: folder, sync: false });
  const claimed = await claimConcurrently(db, 6);
  expect(claimed.map((job) => job.collection).sort()).toEqual(["other", "same"]);
  const running = claimed.find((job) => job.collection === "same") as ClaimedJob;
  expect(running.id).toBe(first.id);
  expect(await claimConcurrently(db, 6)).toEqual([]);
  // A running job whose lease lapsed (its worker died) no longer holds the collection.
  await expireLease(db, running.id);
  const retaken = await claimConcurrently(db, 6);
  expect(retaken).toHaveLength(1);
  const again = retaken[0] as ClaimedJob;
  expect(await completeIngestJob({ db }, again, { summary: SUMMARY, progress: PROGRESS })).toBe(
    true,
  );
  const next = await claimConcurrently(db, 6);
  expect(next.map((job) => job.id)).toEqual([again.id === first.id ? second.id : first.id]);
}

describe("the ingest job queue (node-postgres over the wire)", () => {
  it("never hands the same job to two workers claiming at once", async () => {
    await drain();
    const ids = new Set<string>();
    for (let index = 0; index < 12; index++) {
      ids.add(
        // A collection each: one collection runs one job at a time.
        (
          await enqueueIngestJob(
            { db: pooled.db },
            { collection: `c${index}`, path: folder, sync: false },
          )
        ).id,
      );
    }
    const claimed: string[] = [];
    const worker = async (workerId: string) => {
      for (;;) {
        const job = await claimIngestJob({ db: pooled.db }, { workerId, leaseMs: 60_000 });
        if (!job) return;
        claimed.push(job.id);
      }
    };
    await Promise.all(["w1", "w2", "w3", "w4", "w5", "w6"].map(worker));
    expect(claimed).toHaveLength(12);
    expect(new Set(claimed)).toEqual(ids);
    const jobs = await listIngestJobs({ db: pooled.db }, { limit: 50 });
    expect(jobs.every((job) => job.status === "running" && job.attempts === 1)).toBe(true);
  });

  it("gives a job whose lease expired to another worker; the first can no longer touch it", async () => {
    await drain();
    const { id } = await enqueueIngestJob(
      { db: pooled.db },
      {
        collection: "c",
        path: folder,
        sync: false,
      },
    );
    const first = (await claimIngestJob(
      { db: pooled.db },
      {
        workerId: "dead",
        leaseMs: 60_000,
      },
    )) as ClaimedJob;
    expect(first.id).toBe(id);
    expect(
      await claimIngestJob({ db: pooled.db }, { workerId: "other", leaseMs: 60_000 }),
    ).toBeUndefined();
    await expireLease(pooled.db, id);
    const second = await claimIngestJob({ db: pooled.db }, { workerId: "other", leaseMs: 60_000 });
    expect(second).toMatchObject({ id, attempts: 2, workerId: "other" });
    expect(
      await heartbeatIngestJob({ db: pooled.db }, first, { leaseMs: 1000, progress: PROGRESS }),
    ).toBe(false);
    const summary = SUMMARY;
    expect(await completeIngestJob({ db: pooled.db }, first, { summary, progress: PROGRESS })).toBe(
      false,
    );
    expect(
      await heartbeatIngestJob({ db: pooled.db }, second as ClaimedJob, {
        leaseMs: 60_000,
        progress: PROGRESS,
      }),
    ).toBe(true);
    expect(
      await completeIngestJob({ db: pooled.db }, second as ClaimedJob, {
        summary,
        progress: PROGRESS,
      }),
    ).toBe(true);
    expect(await getIngestJob({ db: pooled.db }, id)).toMatchObject({
      status: "succeeded",
      attempts: 2,
      summary,
      progress: PROGRESS,
    });
  });

  it("retries with backoff, then fails with the error kept after max attempts", async () => {
    await drain();
    const { id } = await enqueueIngestJob(
      { db: pooled.db },
      { collection: "c", path: folder, sync: false },
      { maxAttempts: 2 },
    );
    // A long backoff, made due by SQL below: the test never waits on the clock.
    const quick = { baseDelayMs: 60_000, maxDelayMs: 60_000 };
    const first = (await claimIngestJob(
      { db: pooled.db },
      {
        workerId: "w",
        leaseMs: 60_000,
      },
    )) as ClaimedJob;
    expect(
      await failIngestJob({ db: pooled.db }, first, {
        error: "503 from the embedder",
        retryable: true,
        retry: quick,
      }),
    ).toBe("queued");
    // Not claimable before its backoff has passed.
    expect(
      await claimIngestJob({ db: pooled.db }, { workerId: "w", leaseMs: 60_000 }),
    ).toBeUndefined();
    await makeDue(pooled.db, id);
    const second = (await claimIngestJob(
      { db: pooled.db },
      {
        workerId: "w",
        leaseMs: 60_000,
      },
    )) as ClaimedJob;
    expect(second.attempts).toBe(2);
    expect(
      await failIngestJob({ db: pooled.db }, second, {
        error: "503 again",
        retryable: true,
        retry: quick,
      }),
    ).toBe("failed");
    expect(await getIngestJob({ db: pooled.db }, id)).toMatchObject({
      status: "failed",
      attempts: 2,
      error: "503 again",
    });
  });

  it("fails a job whose worker died on its last attempt instead of retrying it forever", async () => {
    await drain();
    const { id } = await enqueueIngestJob(
      { db: pooled.db },
      { collection: "c", path: folder, sync: false },
      { maxAttempts: 1 },
    );
    await claimIngestJob({ db: pooled.db }, { workerId: "dead", leaseMs: 60_000 });
    await expireLease(pooled.db, id);
    expect(
      await claimIngestJob({ db: pooled.db }, { workerId: "w", leaseMs: 60_000 }),
    ).toBeUndefined();
    expect(await getIngestJob({ db: pooled.db }, id)).toMatchObject({
      status: "failed",
      error: expect.stringMatching(/lease expired/),
    });
  });

  /** Queues a job on collection "c" and claims it as worker "w". */
  async function queueAndClaim(): Promise<ClaimedJob> {
    await enqueueIngestJob({ db: pooled.db }, { collection: "c", path: folder, sync: false });
    return (await claimIngestJob(
      { db: pooled.db },
      { workerId: "w", leaseMs: 60_000 },
    )) as ClaimedJob;
  }

  it("cancels a running job: its worker's next heartbeat says stop", async () => {
    await drain();
    const job = await queueAndClaim();
    const { id } = job;
    expect((await cancelIngestJob({ db: pooled.db }, id)).status).toBe("cancelled");
    expect(
      await heartbeatIngestJob({ db: pooled.db }, job, { leaseMs: 1000, progress: PROGRESS }),
    ).toBe(false);
    await expect(cancelIngestJob({ db: pooled.db }, id)).rejects.toMatchObject({
      code: "conflict",
    });
    await expect(getIngestJob({ db: pooled.db }, "job_missing")).rejects.toMatchObject({
      code: "not_found",
    });
  });

  it("runs one job per collection at a time, however many workers claim at once", async () => {
    await drain();
    await runsOneJobPerCollection(pooled.db, folder);
  });

  it("stores an error that carries a NUL byte instead of failing to record it", async () => {
    await drain();
    const job = await queueAndClaim();
    const { id } = job;
    const error = "invalid text: a\u0000b";
    expect(await failIngestJob({ db: pooled.db }, job, { error, retryable: false })).toBe("failed");
    expect(await getIngestJob({ db: pooled.db }, id)).toMatchObject({
      status: "failed",
      error: "invalid text: ab",
    });
  });

  it("backs off exponentially with jitter, capped", () => {
    const policy = { baseDelayMs: 1000, maxDelayMs: 5000 };
    expect(retryDelayMs(1, policy, () => 0)).toBe(500);
    expect(retryDelayMs(1, policy, () => 1)).toBe(1000);
    expect(retryDelayMs(3, policy, () => 1)).toBe(4000);
    expect(retryDelayMs(10, policy, () => 1)).toBe(5000);
  });
});

describe.skipIf(!realPostgresUrl())(realPostgresSuite("the ingest job queue"), () => {
  let real: RealTestDatabase;
  beforeAll(async () => {
    real = await createRealTestDatabase("e_jobs", { poolSize: 8 });
  });
  afterAll(async () => {
    await real?.drop();
  });

  it("runs one job per collection at a time, however many workers claim at once", async () => {
    // Real concurrency: each claim on its own connection, racing for the same collection.
    for (let round = 0; round < 5; round++) {
      await real.database.db.delete(ingestJobs);
      await runsOneJobPerCollection(real.database.db, folder);
    }
  });
});

describe("processNextIngestJob", () => {
  let context: LoreContext;
  beforeAll(() => {
    context = { db: embedded.db, embedder: createLocalEmbedder() };
  });

  /** Queues a job and runs it here, as a worker would; the outcome and the job as stored. */
  async function queueAndRun(request: { collection: string; path: string; sync: boolean }) {
    const { id } = await enqueueIngestJob(context, request);
    const outcome = await processNextIngestJob(context, { workerId: "w", leaseMs: 10_000 });
    return { outcome, job: await getIngestJob(context, id) };
  }

  it("runs a job to success with its summary and progress saved", async () => {
    await drain();
    const { outcome, job } = await queueAndRun({ collection: "jobs", path: folder, sync: true });
    expect(outcome).toMatchObject({ status: "succeeded" });
    expect(job).toMatchObject({
      status: "succeeded",
      attempts: 1,
      progress: { filesSeen: 1, filesProcessed: 1 },
      summary: { collection: "jobs", documents: { added: 1 } },
    });
    expect(job.workerId).toBeUndefined();
  });

  it("fails a job for a missing folder at once, without retrying", async () => {
    await drain();
    const { id } = await enqueueIngestJob(context, {
      collection: "jobs",
      path: path.join(folder, "missing"),
      sync: false,
    });
    expect(await processNextIngestJob(context, { workerId: "w", leaseMs: 10_000 })).toMatchObject({
      status: "failed",
    });
    expect(await getIngestJob(context, id)).toMatchObject({
      status: "failed",
      attempts: 1,
      error: expect.stringMatching(/Not a folder/),
    });
  });

  it("fails at once when the collection was embedded with another model", async () => {
    await drain();
    const { id } = await enqueueIngestJob(context, {
      collection: "jobs",
      path: folder,
      sync: false,
    });
    const other: LoreContext = {
      db: context.db,
      embedder: createLocalEmbedder({ dimensions: 64 }),
    };
    expect(await processNextIngestJob(other, { workerId: "w", leaseMs: 10_000 })).toMatchObject({
      status: "failed",
    });
    expect(await getIngestJob(context, id)).toMatchObject({
      status: "failed",
      attempts: 1,
      error: expect.stringMatching(/was embedded with local:lore-hash-v1 \(1024 dimensions\)/),
    });
  });

  it("hands the job back, attempt uncounted, when the worker stops", async () => {
    await drain();
    const { id } = await enqueueIngestJob(context, {
      collection: "jobs",
      path: folder,
      sync: false,
    });
    const stop = new AbortController();
    const local = createLocalEmbedder();
    // The stop arrives while the document is being embedded, before anything is written.
    const stopping: LoreContext = {
      db: context.db,
      embedder: {
        ...local,
        embed: async (texts, signal) => {
          stop.abort(new Error("stopping"));
          return local.embed(texts, signal);
        },
      },
    };
    await writeFile(path.join(folder, "b.md"), "# B\n\nThe B service listens on 7002.\n");
    const outcome = await processNextIngestJob(stopping, {
      workerId: "w",
      leaseMs: 10_000,
      signal: stop.signal,
    });
    expect(outcome?.status).toBe("queued");
    const [row] = await context.db.select().from(ingestJobs).where(eq(ingestJobs.id, id));
    expect(row).toMatchObject({ status: "queued", attempts: 0, workerId: null });
  });

  it("succeeds with the good files when one has a late NUL byte and another is a PDF bomb", async () => {
    await drain();
    const mixed = await mkdtemp(path.join(tmpdir(), "lore-jobs-bad-"));
    try {
      await writeFile(path.join(mixed, "good.md"), "# Good\n\nThe good file stays.\n");
      await writeFile(path.join(mixed, "late-nul.md"), `# Late\n\n${"x".repeat(9000)}\u0000\n`);
      await writeFile(path.join(mixed, "bomb.pdf"), onePagePdf("Bomb", 100 * 1024 * 1024));
      const { outcome, job } = await queueAndRun({
        collection: "jobs-bad",
        path: mixed,
        sync: false,
      });
      expect(outcome).toMatchObject({ status: "succeeded" });
      expect(job).toMatchObject({
        status: "succeeded",
        attempts: 1,
        progress: { filesSeen: 3, filesProcessed: 1, filesSkipped: 2 },
        summary: { documents: { added: 1 } },
      });
      expect(job.summary?.skipped.map((file) => file.source)).toEqual(["bomb.pdf", "late-nul.md"]);
    } finally {
      await rm(mixed, { recursive: true, force: true });
    }
  });

  it("reports a lease lost before the result was saved as lost, saying so", async () => {
    await drain();
    const { id } = await enqueueIngestJob(context, {
      collection: "jobs-lost",
      path: folder,
      sync: false,
    });
    const local = createLocalEmbedder();
    // While the job runs, its lease lapses and another worker takes it over.
    const overtaken: LoreContext = {
      db: context.db,
      embedder: {
        ...local,
        embed: async (texts, signal) => {
          await expireLease(context.db, id);
          await claimIngestJob(context, { workerId: "other", leaseMs: 60_000, jobId: id });
          return local.embed(texts, signal);
        },
      },
    };
    // Heartbeats far apart: the first worker learns of it only when it saves its result.
    const outcome = await processNextIngestJob(overtaken, {
      workerId: "w",
      leaseMs: 600_000,
      heartbeatMs: 600_000,
    });
    expect(outcome).toMatchObject({ status: "lost", error: expect.stringMatching(/lease lost/) });
    expect(await getIngestJob(context, id)).toMatchObject({
      status: "running",
      workerId: "other",
    });
  });

  it("notifies workers when a job is queued and waiters when one ends", async () => {
    await drain();
    const heard: string[] = [];
    const unlisten = await Promise.all([
      embedded.listen(INGEST_JOBS_CHANNEL, () => heard.push("queued")),
      embedded.listen(INGEST_JOB_ENDED_CHANNEL, () => heard.push("ended")),
    ]);
    const succeeding = await enqueueIngestJob(
      { db: embedded.db },
      {
        collection: "jobs",
        path: folder,
        sync: false,
      },
    );
    const claimed = (await claimIngestJob(
      { db: embedded.db },
      {
        workerId: "w",
        leaseMs: 10_000,
      },
    )) as ClaimedJob;
    expect(claimed.id).toBe(succeeding.id);
    await expect.poll(() => heard).toEqual(["queued"]);
    await completeIngestJob({ db: embedded.db }, claimed, { summary: SUMMARY, progress: PROGRESS });
    await expect.poll(() => heard).toEqual(["queued", "ended"]);
    const cancelled = await enqueueIngestJob(
      { db: embedded.db },
      {
        collection: "jobs",
        path: folder,
        sync: false,
      },
    );
    await cancelIngestJob({ db: embedded.db }, cancelled.id);
    await expect.poll(() => heard).toEqual(["queued", "ended", "queued", "ended"]);
    for (const stop of unlisten) await stop();
  });
});
