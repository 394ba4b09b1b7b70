import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { enqueueIngestJob, getIngestJob, type LoreContext } from "@lore/core";
import { deferred, pollUntil } from "@lore/core/testing";
import { type Database, type LoreDb, openDatabase } from "@lore/db";
import { createTestDatabase, serveOverWire, type WireServer } from "@lore/db/testing";
import { createLocalEmbedder, type Embedder } from "@lore/providers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runWorker } from "./run-worker";

let embedded: Database;
let wire: WireServer;
let folder: string;
const pools: Database[] = [];

/** A context on its own pg pool, as a separate worker process would have. */
async function workerContext(embedder: Embedder): Promise<LoreContext> {
  const pool = await openDatabase({ kind: "postgres", url: wire.url, poolSize: 3 });
  pools.push(pool);
  return { db: pool.db, embedder };
}

function slowEmbedder(ms: number): Embedder {
  const local = createLocalEmbedder({ dimensions: 64 });
  return {
    ...local,
    embed: async (texts, signal) => {
      await sleep(ms, undefined, { signal });
      return local.embed(texts, signal);
    },
  };
}

/** Tells the test when a job reaches its embedding, then holds it there until the worker stops. */
function heldEmbedder(embedding: () => void): Embedder {
  const local = createLocalEmbedder({ dimensions: 64 });
  return {
    ...local,
    embed: (_texts, signal) => {
      embedding();
      return new Promise((_resolve, reject) => {
        const stop = () => reject(signal?.reason);
        if (signal?.aborted) stop();
        signal?.addEventListener("abort", stop, { once: true });
      });
    },
  };
}

beforeAll(async () => {
  embedded = await createTestDatabase();
  wire = await serveOverWire(embedded, { maxConnections: 20 });
  folder = await mkdtemp(path.join(tmpdir(), "lore-run-worker-"));
  for (let index = 0; index < 6; index++) {
    await mkdir(path.join(folder, `team-${index}`));
    await writeFile(
      path.join(folder, `team-${index}`, "handbook.md"),
      `# Team ${index}\n\nTeam ${index} deploys on day ${index + 1} of the sprint.\n`,
    );
  }
});
afterAll(async () => {
  for (const pool of pools) await pool.close();
  await wire.stop();
  await embedded.close();
  await rm(folder, { recursive: true, force: true });
});

/** The same database, calling `ended` once its first transaction (a worker's claim) settles. */
function afterFirstTransaction(db: LoreDb, ended: () => void): LoreDb {
  return new Proxy(db, {
    get(target, property) {
      if (property !== "transaction") return Reflect.get(target, property, target);
      return async (...args: Parameters<LoreDb["transaction"]>) => {
        try {
          return await target.transaction(...args);
        } finally {
          ended();
        }
      };
    },
  });
}

describe("runWorker", () => {
  it("two workers on one queue run every job exactly once", async () => {
    const ids: string[] = [];
    for (let index = 0; index < 6; index++) {
      const job = await enqueueIngestJob(
        { db: embedded.db },
        {
          collection: `team-${index}`,
          path: path.join(folder, `team-${index}`),
          sync: false,
        },
      );
      ids.push(job.id);
    }
    const workers = [
      runWorker(await workerContext(slowEmbedder(30)), { workerId: "one", pollMs: 50 }),
      runWorker(await workerContext(slowEmbedder(30)), { workerId: "two", pollMs: 50 }),
    ];
    const jobs = await pollUntil(
      () => Promise.all(ids.map((id) => getIngestJob({ db: embedded.db }, id))),
      (views) => views.every((job) => job.status === "succeeded"),
      { what: "every job to succeed" },
    );
    // Run twice, a job would show a second attempt or find its document already there.
    for (const job of jobs) {
      expect(job.attempts).toBe(1);
      expect(job.summary?.documents).toMatchObject({ added: 1, unchanged: 0 });
    }
    await Promise.all(workers.map((worker) => worker.stop()));
  });

  it("a graceful stop hands the running job back to the queue at once", async () => {
    const { id } = await enqueueIngestJob(
      { db: embedded.db },
      {
        collection: "slow",
        path: path.join(folder, "team-0"),
        sync: false,
      },
    );
    const embedding = deferred();
    const worker = runWorker(await workerContext(heldEmbedder(embedding.resolve)), {
      workerId: "stopping",
      pollMs: 50,
      leaseMs: 60_000,
    });
    // Stopped mid-job: the embedder holds the job until the stop aborts it.
    await embedding.promise;
    expect((await getIngestJob({ db: embedded.db }, id)).status).toBe("running");
    await worker.stop();
    expect(await getIngestJob({ db: embedded.db }, id)).toMatchObject({
      status: "queued",
      attempts: 0,
    });
  });

  // In-process only: PGlite is one session, so over its wire a NOTIFY reaches the connection
  // that sent it rather than the listening one (Postgres delivers it to every listener).
  it("an idle worker that listens claims a new job at once, not at its next poll", async () => {
    const database = embedded;
    // The job is queued only once the worker listens and its first poll found the queue empty:
    // queued earlier, that poll would claim it and the test would prove nothing.
    const subscribed = deferred();
    const firstPoll = deferred();
    const worker = runWorker(
      {
        db: afterFirstTransaction(database.db, firstPoll.resolve),
        embedder: createLocalEmbedder({ dimensions: 64 }),
      },
      // Its first poll finds nothing; the next would be minutes away.
      {
        workerId: "listening",
        pollMs: 600_000,
        listen: async (channel, onNotify) => {
          const unlisten = await database.listen(channel, onNotify);
          subscribed.resolve();
          return unlisten;
        },
      },
    );
    await Promise.all([subscribed.promise, firstPoll.promise]);
    const { id } = await enqueueIngestJob(
      { db: embedded.db },
      {
        collection: "notified",
        path: path.join(folder, "team-1"),
        sync: true,
      },
    );
    await pollUntil(
      () => getIngestJob({ db: embedded.db }, id),
      (job) => job.status === "succeeded",
      { timeoutMs: 20_000, what: "the notified job to succeed" },
    );
    await worker.stop();
  });
});
