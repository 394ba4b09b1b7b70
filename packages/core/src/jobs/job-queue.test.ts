import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { type Database, ingestJobs, openDatabase } from "@lore/db";
import { createTestDatabase, serveOverWire, type WireServer } from "@lore/db/testing";
import { createLocalEmbedder } from "@lore/providers";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LoreContext } from "../context";
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

describe("the ingest job queue (node-postgres over the wire)", () => {
  it("never hands the same job to two workers claiming at once", async () => {
    await drain();
    const ids = new Set<string>();
    for (let index = 0; index < 12; index++) {
      ids.add(
        (await enqueueIngestJob(pooled.db, { collection: "c", path: folder, sync: false })).id,
      );
    }
    const claimed: string[] = [];
    const worker = async (workerId: string) => {
      for (;;) {
        const job = await claimIngestJob(pooled.db, { workerId, leaseMs: 60_000 });
        if (!job) return;
        claimed.push(job.id);
      }
    };
    await Promise.all(["w1", "w2", "w3", "w4", "w5", "w6"].map(worker));
    expect(claimed).toHaveLength(12);
    expect(new Set(claimed)).toEqual(ids);
    const jobs = await listIngestJobs(pooled.db, { limit: 50 });
    expect(jobs.every((job) => job.status === "running" && job.attempts === 1)).toBe(true);
  });

  it("gives a job whose lease expired to another worker; the first can no longer touch it", async () => {
    await drain();
    const { id } = await enqueueIngestJob(pooled.db, {
      collection: "c",
      path: folder,
      sync: false,
    });
    const first = (await claimIngestJob(pooled.db, {
      workerId: "dead",
      leaseMs: 50,
    })) as ClaimedJob;
    expect(first.id).toBe(id);
    expect(await claimIngestJob(pooled.db, { workerId: "other", leaseMs: 60_000 })).toBeUndefined();
    await sleep(120);
    const second = await claimIngestJob(pooled.db, { workerId: "other", leaseMs: 60_000 });
    expect(second).toMatchObject({ id, attempts: 2, workerId: "other" });
    expect(await heartbeatIngestJob(pooled.db, first, { leaseMs: 1000, progress: PROGRESS })).toBe(
      false,
    );
    const summary = SUMMARY;
    expect(await completeIngestJob(pooled.db, first, { summary, progress: PROGRESS })).toBe(false);
    expect(
      await heartbeatIngestJob(pooled.db, second as ClaimedJob, {
        leaseMs: 60_000,
        progress: PROGRESS,
      }),
    ).toBe(true);
    expect(
      await completeIngestJob(pooled.db, second as ClaimedJob, { summary, progress: PROGRESS }),
    ).toBe(true);
    expect(await getIngestJob(pooled.db, id)).toMatchObject({
      status: "succeeded",
      attempts: 2,
      summary,
      progress: PROGRESS,
    });
  });

  it("retries with backoff, then fails with the error kept after max attempts", async () => {
    await drain();
    const { id } = await enqueueIngestJob(
      pooled.db,
      { collection: "c", path: folder, sync: false },
      { maxAttempts: 2 },
    );
    const quick = { baseDelayMs: 100, maxDelayMs: 100 };
    const first = (await claimIngestJob(pooled.db, {
      workerId: "w",
      leaseMs: 60_000,
    })) as ClaimedJob;
    expect(
      await failIngestJob(pooled.db, first, {
        error: "503 from the embedder",
        retryable: true,
        retry: quick,
      }),
    ).toBe("queued");
    // Not claimable before its backoff has passed.
    expect(await claimIngestJob(pooled.db, { workerId: "w", leaseMs: 60_000 })).toBeUndefined();
    await sleep(120);
    const second = (await claimIngestJob(pooled.db, {
      workerId: "w",
      leaseMs: 60_000,
    })) as ClaimedJob;
    expect(second.attempts).toBe(2);
    expect(
      await failIngestJob(pooled.db, second, { error: "503 again", retryable: true, retry: quick }),
    ).toBe("failed");
    expect(await getIngestJob(pooled.db, id)).toMatchObject({
      status: "failed",
      attempts: 2,
      error: "503 again",
    });
  });

  it("fails a job whose worker died on its last attempt instead of retrying it forever", async () => {
    await drain();
    const { id } = await enqueueIngestJob(
      pooled.db,
      { collection: "c", path: folder, sync: false },
      { maxAttempts: 1 },
    );
    await claimIngestJob(pooled.db, { workerId: "dead", leaseMs: 30 });
    await sleep(80);
    expect(await claimIngestJob(pooled.db, { workerId: "w", leaseMs: 60_000 })).toBeUndefined();
    expect(await getIngestJob(pooled.db, id)).toMatchObject({
      status: "failed",
      error: expect.stringMatching(/lease expired/),
    });
  });

  it("cancels a running job: its worker's next heartbeat says stop", async () => {
    await drain();
    const { id } = await enqueueIngestJob(pooled.db, {
      collection: "c",
      path: folder,
      sync: false,
    });
    const job = (await claimIngestJob(pooled.db, { workerId: "w", leaseMs: 60_000 })) as ClaimedJob;
    expect((await cancelIngestJob(pooled.db, id)).status).toBe("cancelled");
    expect(await heartbeatIngestJob(pooled.db, job, { leaseMs: 1000, progress: PROGRESS })).toBe(
      false,
    );
    await expect(cancelIngestJob(pooled.db, id)).rejects.toMatchObject({ code: "conflict" });
    await expect(getIngestJob(pooled.db, "job_missing")).rejects.toMatchObject({
      code: "not_found",
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

describe("processNextIngestJob", () => {
  let context: LoreContext;
  beforeAll(() => {
    context = { db: embedded.db, embedder: createLocalEmbedder() };
  });

  it("runs a job to success with its summary and progress saved", async () => {
    await drain();
    const { id } = await enqueueIngestJob(context.db, {
      collection: "jobs",
      path: folder,
      sync: true,
    });
    const outcome = await processNextIngestJob(context, { workerId: "w", leaseMs: 10_000 });
    expect(outcome).toMatchObject({ status: "succeeded" });
    const job = await getIngestJob(context.db, id);
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
    const { id } = await enqueueIngestJob(context.db, {
      collection: "jobs",
      path: path.join(folder, "missing"),
      sync: false,
    });
    expect(await processNextIngestJob(context, { workerId: "w", leaseMs: 10_000 })).toMatchObject({
      status: "failed",
    });
    expect(await getIngestJob(context.db, id)).toMatchObject({
      status: "failed",
      attempts: 1,
      error: expect.stringMatching(/Not a folder/),
    });
  });

  it("fails at once when the collection was embedded with another model", async () => {
    await drain();
    const { id } = await enqueueIngestJob(context.db, {
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
    expect(await getIngestJob(context.db, id)).toMatchObject({
      status: "failed",
      attempts: 1,
      error: expect.stringMatching(/was embedded with local:lore-hash-v1 \(1024 dimensions\)/),
    });
  });

  it("hands the job back, attempt uncounted, when the worker stops", async () => {
    await drain();
    const { id } = await enqueueIngestJob(context.db, {
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

  it("notifies workers when a job is queued and waiters when one ends", async () => {
    await drain();
    const heard: string[] = [];
    const unlisten = await Promise.all([
      embedded.listen(INGEST_JOBS_CHANNEL, () => heard.push("queued")),
      embedded.listen(INGEST_JOB_ENDED_CHANNEL, () => heard.push("ended")),
    ]);
    const succeeding = await enqueueIngestJob(embedded.db, {
      collection: "jobs",
      path: folder,
      sync: false,
    });
    const claimed = (await claimIngestJob(embedded.db, {
      workerId: "w",
      leaseMs: 10_000,
    })) as ClaimedJob;
    expect(claimed.id).toBe(succeeding.id);
    await expect.poll(() => heard).toEqual(["queued"]);
    await completeIngestJob(embedded.db, claimed, { summary: SUMMARY, progress: PROGRESS });
    await expect.poll(() => heard).toEqual(["queued", "ended"]);
    const cancelled = await enqueueIngestJob(embedded.db, {
      collection: "jobs",
      path: folder,
      sync: false,
    });
    await cancelIngestJob(embedded.db, cancelled.id);
    await expect.poll(() => heard).toEqual(["queued", "ended", "queued", "ended"]);
    for (const stop of unlisten) await stop();
  });
});
