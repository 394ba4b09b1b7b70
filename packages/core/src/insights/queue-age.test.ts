import { type Database, ingestJobs } from "@lore/db";
import { createTestDatabase } from "@lore/db/testing";
import { afterAll, beforeAll, expect, it } from "vitest";
import { ingestQueueAgeSeconds } from "./queue-age";

let database: Database;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.close();
});

it("is the wait of the oldest runnable queued job, ignoring backoffs, running and finished jobs", async () => {
  expect(await ingestQueueAgeSeconds({ db: database.db })).toBe(0);
  const at = (seconds: number) => new Date(Date.now() + seconds * 1000);
  const job = (id: string, status: "queued" | "running" | "failed", runAfter: Date) => ({
    id,
    collection: "default",
    path: "/docs",
    status,
    runAfter,
  });
  await database.db
    .insert(ingestJobs)
    .values([
      job("job_waiting", "queued", at(-120)),
      job("job_backoff", "queued", at(3600)),
      job("job_running", "running", at(-7200)),
      job("job_failed", "failed", at(-9000)),
    ]);
  const age = await ingestQueueAgeSeconds({ db: database.db });
  expect(age).toBeGreaterThanOrEqual(119);
  expect(age).toBeLessThan(600);
});
