import { type Database, feedback, queries, queryRows } from "@lore/db";
import { createTestDatabase } from "@lore/db/testing";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deleteExpiredQueries, scheduleQueryRetention } from "./retention";

let database: Database;
const DAY_MS = 86_400_000;
const NOW = new Date("2026-06-30T12:00:00Z");

async function remaining(): Promise<{ queries: string[]; feedback: string[] }> {
  const rows = await queryRows<{ id: string }>(
    database.db,
    sql`SELECT id FROM queries ORDER BY id`,
  );
  const votes = await queryRows<{ id: string }>(
    database.db,
    sql`SELECT id FROM feedback ORDER BY id`,
  );
  return { queries: rows.map((row) => row.id), feedback: votes.map((row) => row.id) };
}

async function seed(ageDays: Record<string, number>): Promise<void> {
  await database.db.delete(queries);
  for (const [id, days] of Object.entries(ageDays)) {
    const createdAt = new Date(NOW.getTime() - days * DAY_MS);
    await database.db.insert(queries).values({
      id,
      collection: "default",
      question: `question ${id}`,
      answer: "answer",
      abstained: false,
      mode: "extractive",
      createdAt,
    });
    // Feedback is as recent as can be: it goes with its question, whatever its own age.
    await database.db
      .insert(feedback)
      .values({ id: `fb_${id}`, queryId: id, rating: "down", createdAt: NOW });
  }
}

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.close();
});

describe("query retention", () => {
  it("deletes query rows older than the cut-off and their feedback, nothing else", async () => {
    await seed({ qry_old1: 120, qry_old2: 91, qry_edge: 90, qry_new1: 89, qry_new2: 0 });
    const result = await deleteExpiredQueries(
      { db: database.db },
      { before: new Date(NOW.getTime() - 90 * DAY_MS) },
    );
    expect(result).toMatchObject({ queries: 2, feedback: 2 });
    expect(await remaining()).toEqual({
      queries: ["qry_edge", "qry_new1", "qry_new2"],
      feedback: ["fb_qry_edge", "fb_qry_new1", "fb_qry_new2"],
    });
    // Run again: nothing more is old enough.
    expect(
      await deleteExpiredQueries(
        { db: database.db },
        { before: new Date(NOW.getTime() - 90 * DAY_MS) },
      ),
    ).toMatchObject({ queries: 0, feedback: 0 });
  });

  it("deletes a backlog larger than one batch", async () => {
    const old = new Date(NOW.getTime() - 400 * DAY_MS);
    await seed({ qry_keep: 1 });
    await queryRows(
      database.db,
      sql`INSERT INTO queries (id, collection, question, answer, abstained, mode, created_at)
          SELECT 'qry_bulk' || g, 'default', 'q', 'a', false, 'extractive', ${old.toISOString()}
          FROM generate_series(1, 12001) AS g`,
    );
    const result = await deleteExpiredQueries(
      { db: database.db },
      { before: new Date(NOW.getTime() - 30 * DAY_MS) },
    );
    expect(result.queries).toBe(12001);
    expect((await remaining()).queries).toEqual(["qry_keep"]);
  });

  it("runs on a schedule, with the clock it is given", async () => {
    await seed({ qry_a: 10, qry_b: 3 });
    const runs: number[] = [];
    let finished: () => void = () => {};
    const ran = new Promise<void>((resolve) => {
      finished = resolve;
    });
    const schedule = scheduleQueryRetention(
      { db: database.db },
      {
        days: 7,
        now: () => NOW,
        onRun: (result) => {
          runs.push(result.queries);
          finished();
        },
        onError: (error) => {
          throw error;
        },
      },
    );
    await ran;
    await schedule.stop();
    expect(runs).toEqual([1]);
    expect(await remaining()).toEqual({ queries: ["qry_b"], feedback: ["fb_qry_b"] });
  });
});
