import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { type Database, openDatabase, queryRows } from "@lore/db";
import {
  createRealTestDatabase,
  type RealTestDatabase,
  realPostgresUrl,
} from "@lore/db/real-postgres";
import { createTestDatabase } from "@lore/db/testing";
import { createLocalEmbedder } from "@lore/providers";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LoreContext } from "../context";
import { processNextIngestJob } from "../jobs/process-job";
import { nextRunAfter, Schedule } from "./schedule";
import { createSource, enqueueDueSyncs, getSource } from "./sources";

let folder: string;

beforeAll(async () => {
  folder = await mkdtemp(path.join(tmpdir(), "lore-scheduled-"));
  await writeFile(
    path.join(folder, "runbook.md"),
    "# Runbook\n\nRestart the queue worker first.\n",
  );
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

const at = (time: string) => new Date(`2026-03-02T${time}Z`);

describe("schedules", () => {
  it("parses cron expressions and intervals, and refuses nonsense", () => {
    expect(nextRunAfter("* * * * *", at("10:00:30")).toISOString()).toBe(
      at("10:01:00").toISOString(),
    );
    expect(nextRunAfter("0 */6 * * *", at("10:00:30")).toISOString()).toBe(
      at("12:00:00").toISOString(),
    );
    expect(nextRunAfter("15m", at("10:00:30")).toISOString()).toBe(at("10:15:30").toISOString());
    expect(Schedule.safeParse("every tuesday").success).toBe(false);
    expect(Schedule.safeParse("5s").success).toBe(false);
  });
});

/**
 * Two workers tick the scheduler at the same explicit moments: each due time queues exactly one
 * job, and a due time reached while that sync is still queued or running queues nothing until
 * it has ended (then once).
 */
async function twoWorkers(first: LoreContext, second: LoreContext, label: string): Promise<void> {
  const source = await createSource(
    first,
    {
      collection: `sched-${label}`,
      name: "runbooks",
      kind: "folder",
      config: { path: folder },
      schedule: "* * * * *",
    },
    at("10:00:10"),
  );
  expect(source.nextRunAt).toBe(at("10:01:00").toISOString());
  const jobs = async () =>
    (
      await queryRows<{ id: string; status: string }>(
        first.db,
        sql`SELECT id, status FROM ingest_jobs WHERE source_id = ${source.id} ORDER BY created_at`,
      )
    ).map((row) => row.status);
  const tick = async (time: string) => {
    const [a, b] = await Promise.all([
      enqueueDueSyncs(first, at(time)),
      enqueueDueSyncs(second, at(time)),
    ]);
    return a.length + b.length;
  };
  const runQueued = async () => {
    const outcome = await processNextIngestJob(first, { workerId: "runner", leaseMs: 30_000 });
    expect(outcome?.status).toBe("succeeded");
  };

  expect(await tick("10:00:50")).toBe(0);
  for (const minute of ["01", "02", "03"]) {
    expect(await tick(`10:${minute}:00`)).toBe(1);
    expect(await tick(`10:${minute}:20`)).toBe(0);
    expect(await tick(`10:${minute}:40`)).toBe(0);
    await runQueued();
  }
  expect(await jobs()).toEqual(["succeeded", "succeeded", "succeeded"]);

  // Due at 10:04 while the 10:04 sync has not run: 10:05 finds it queued and queues nothing more.
  expect(await tick("10:04:00")).toBe(1);
  expect(await tick("10:05:01")).toBe(0);
  expect((await getSource(first, { id: source.id })).nextRunAt).toBe(at("10:05:00").toISOString());
  await runQueued();
  expect(await tick("10:05:30")).toBe(1);
  expect((await getSource(first, { id: source.id })).nextRunAt).toBe(at("10:06:00").toISOString());
  await runQueued();
  expect(await jobs()).toEqual(Array(5).fill("succeeded"));
  const view = await getSource(first, { id: source.id });
  expect(view.lastStatus).toBe("succeeded");
  expect(view.counts).toMatchObject({ documents: { added: 0, unchanged: 1 } });

  // The database itself refuses a second active sync of one source, whoever inserts it.
  const insert = (id: string) =>
    first.db.execute(
      sql`INSERT INTO ingest_jobs (id, collection, path, source_id) VALUES (${id}, 'x', 'x', ${source.id})`,
    );
  await insert("job_manual_1");
  await expect(insert("job_manual_2")).rejects.toThrow();
}

describe("the scheduler tick under two workers (PGlite)", () => {
  let database: Database;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database.close();
  });
  it("queues exactly once per due time and never overlaps a sync", async () => {
    const embedder = createLocalEmbedder();
    const context = { db: database.db, embedder };
    await twoWorkers(context, { db: database.db, embedder }, "pglite");
  });
});

describe.skipIf(!realPostgresUrl())("the scheduler tick under two workers (real Postgres)", () => {
  let real: RealTestDatabase;
  let other: Database;
  beforeAll(async () => {
    real = await createRealTestDatabase("f16_schedule");
    other = await openDatabase({ kind: "postgres", url: real.url, poolSize: 3 });
  });
  afterAll(async () => {
    await other?.close();
    await real?.drop();
  });
  it("two processes' pools racing on the same due times queue one job each", async () => {
    const embedder = createLocalEmbedder();
    await twoWorkers({ db: real.database.db, embedder }, { db: other.db, embedder }, "real");
  });
});
