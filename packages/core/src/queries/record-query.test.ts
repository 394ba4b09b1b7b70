// Answers logged at the same time each get their own row before their call returns, and a refused row fails only its own call.
import { type Database, queries, queryRows } from "@lore/db";
import { createTestDatabase } from "@lore/db/testing";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AskResponse } from "../answering/schemas";
import type { LoreContext } from "../context";
import { recordQuery } from "./record-query";

let database: Database;
// One context for every call, as an app has: its query log is what batches concurrent rows.
let context: Pick<LoreContext, "db" | "caches">;
beforeAll(async () => {
  database = await createTestDatabase();
  context = { db: database.db };
});
afterAll(async () => {
  await database.close();
});

function response(queryId: string): AskResponse {
  return {
    queryId,
    answer: `Answer of ${queryId} [1]`,
    abstained: false,
    mode: "extractive",
    citations: [
      {
        n: 1,
        chunkId: "chk_1",
        documentId: "doc_1",
        source: "deploy.md",
        title: "Deploy",
        heading: "Rollback",
        startLine: 3,
        endLine: 4,
        snippet: "Roll back with the script.",
        score: 0.5,
      },
    ],
    timings: { embedMs: 1, retrieveMs: 2, generateMs: 3, totalMs: 6 },
  };
}

const record = (queryId: string, keyId: string | null = null) =>
  recordQuery(context, {
    collection: "default",
    question: `Question ${queryId}?`,
    response: response(queryId),
    model: null,
    keyId,
  });

async function logged(ids: readonly string[]): Promise<string[]> {
  const rows = await queryRows<{ id: string }>(
    database.db,
    sql`SELECT id FROM queries WHERE id = ANY(${sql.param(ids)}::text[]) ORDER BY id`,
  );
  return rows.map((row) => row.id);
}

describe("recordQuery", () => {
  it("logs every one of many concurrent answers, each before its call returns", async () => {
    const ids = Array.from(
      { length: 25 },
      (_, index) => `qry_many_${String(index).padStart(2, "0")}`,
    );
    const seenOnReturn = await Promise.all(
      ids.map(async (id) => {
        await record(id);
        return (await logged([id])).length;
      }),
    );
    expect(seenOnReturn).toEqual(ids.map(() => 1));
    expect(await logged(ids)).toEqual(ids);
    const [row] = await database.db.select().from(queries).where(sql`${queries.id} = ${ids[7]}`);
    expect(row).toMatchObject({
      question: "Question qry_many_07?",
      answer: "Answer of qry_many_07 [1]",
      mode: "extractive",
      timings: { embedMs: 1, retrieveMs: 2, generateMs: 3, totalMs: 6 },
      citations: [expect.objectContaining({ source: "deploy.md", startLine: 3 })],
    });
  });

  it("fails only the answer whose row the database refuses", async () => {
    await record("qry_taken");
    const results = await Promise.allSettled([
      record("qry_next_1"),
      record("qry_taken"),
      record("qry_next_2"),
      record("qry_next_3"),
    ]);
    expect(results.map((result) => result.status)).toEqual([
      "fulfilled",
      "rejected",
      "fulfilled",
      "fulfilled",
    ]);
    expect(await logged(["qry_next_1", "qry_next_2", "qry_next_3"])).toEqual([
      "qry_next_1",
      "qry_next_2",
      "qry_next_3",
    ]);
  });
});
