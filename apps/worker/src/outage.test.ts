// The worker rides out a database outage: it stays up, claims jobs queued meanwhile, and finishes the one it was running.

import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { enqueueIngestJob, getIngestJob, type LoreContext } from "@lore/core";
import { type Database, openDatabase, queryRows } from "@lore/db";
import { createTestDatabase, freePort, serveOverWire, type WireServer } from "@lore/db/testing";
import { createLocalEmbedder, type Embedder } from "@lore/providers";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runWorker } from "./run-worker";

let embedded: Database;
let wire: WireServer;
let port: number;
let folder: string;
const FILES = 5;

/** An embedder whose first call waits for `release()`: the test drops the database meanwhile. */
function gatedEmbedder(): { embedder: Embedder; calls: () => number; release: () => void } {
  const local = createLocalEmbedder({ dimensions: 64 });
  let calls = 0;
  let release = () => {};
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  return {
    embedder: {
      ...local,
      embed: async (texts, signal) => {
        calls += 1;
        await gate;
        return local.embed(texts, signal);
      },
    },
    calls: () => calls,
    release: () => release(),
  };
}

async function count(db: Database["db"], collection: string): Promise<number> {
  const [row] = await queryRows<{ documents: number }>(
    db,
    sql`SELECT count(*)::int AS documents FROM documents d JOIN collections c ON c.id = d.collection_id
        WHERE c.name = ${collection}`,
  );
  return row?.documents ?? 0;
}

beforeAll(async () => {
  embedded = await createTestDatabase();
  port = await freePort();
  wire = await serveOverWire(embedded, { port, maxConnections: 20 });
  folder = await mkdtemp(path.join(tmpdir(), "lore-worker-outage-"));
  for (let index = 0; index < FILES; index++) {
    await writeFile(
      path.join(folder, `page-${index}.md`),
      `# Page ${index}\n\nPage ${index} says the release train leaves on day ${index + 1}.\n`,
    );
  }
});
afterAll(async () => {
  await wire.stop();
  await embedded.close();
  await rm(folder, { recursive: true, force: true });
});

describe("a worker during a database outage", () => {
  it("stays up while the database is gone and claims a job queued meanwhile", async () => {
    const pool = await openDatabase({ kind: "postgres", url: wire.url, poolSize: 3 });
    const context: LoreContext = { db: pool.db, embedder: createLocalEmbedder({ dimensions: 64 }) };
    const worker = runWorker(context, { pollMs: 100, listen: pool.listen });
    let ended = false;
    void worker.done.finally(() => {
      ended = true;
    });
    try {
      // Let it connect (pool and LISTEN) before the database goes away.
      await expect.poll(() => pool.pool?.totalCount ?? 0).toBeGreaterThan(0);
      await wire.stop();
      const job = await enqueueIngestJob(
        { db: embedded.db },
        {
          collection: "queued-in-outage",
          path: folder,
          sync: false,
        },
      );
      wire = await serveOverWire(embedded, { port, maxConnections: 20 });
      await expect
        .poll(async () => (await getIngestJob({ db: embedded.db }, job.id)).status, {
          timeout: 20_000,
        })
        .toBe("succeeded");
      expect(ended).toBe(false);
      expect(await count(embedded.db, "queued-in-outage")).toBe(FILES);
    } finally {
      await worker.stop();
      await pool.close();
    }
  });

  it("finishes the job it was running when the connection dropped, in the same attempt", async () => {
    const pool = await openDatabase({ kind: "postgres", url: wire.url, poolSize: 3 });
    const gated = gatedEmbedder();
    const worker = runWorker(
      { db: pool.db, embedder: gated.embedder },
      { pollMs: 100, leaseMs: 10_000 },
    );
    try {
      const job = await enqueueIngestJob(
        { db: embedded.db },
        {
          collection: "running-in-outage",
          path: folder,
          sync: false,
        },
      );
      await expect.poll(gated.calls, { timeout: 20_000 }).toBeGreaterThan(0);
      // Mid-job: every connection the worker holds breaks, then the database comes back.
      await wire.stop();
      wire = await serveOverWire(embedded, { port, maxConnections: 20 });
      gated.release();
      await expect
        .poll(async () => (await getIngestJob({ db: embedded.db }, job.id)).status, {
          timeout: 20_000,
        })
        .toBe("succeeded");
      const view = await getIngestJob({ db: embedded.db }, job.id);
      // Before, the write's connection error failed the attempt: it was retried as attempt 2.
      expect(view.attempts).toBe(1);
      expect(view.summary?.documents.added).toBe(FILES);
      expect(await count(embedded.db, "running-in-outage")).toBe(FILES);
    } finally {
      await worker.stop();
      await pool.close();
    }
  });
});
