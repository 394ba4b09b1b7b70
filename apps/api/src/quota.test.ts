import {
  createApiKey,
  estimateAskTokens,
  ingestFolder,
  type LoreContext,
  preloadTokenizer,
  SAMPLE_DOCS_DIR,
} from "@lore/core";
import { type Database, queryRows } from "@lore/db";
import { createTestDatabase } from "@lore/db/testing";
import { type ChatModel, createLocalEmbedder } from "@lore/providers";
import { sql } from "drizzle-orm";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "./app";

const USAGE = { promptTokens: 60, completionTokens: 30 };
const QUESTION = { question: "How many PTO days do I get?", collection: "handbook" };

let database: Database;
let app: ReturnType<typeof createApp>;
let context: LoreContext;
let started = 0;
let release: () => void = () => {};
let gate: Promise<void> = Promise.resolve();

// Every answer uses 90 tokens and waits at the gate, so the test decides when asks overlap.
const chat: ChatModel = {
  id: "fake:quota",
  complete: async () => {
    started += 1;
    await gate;
    return { text: "Employees get 20 days of PTO [1].", usage: USAGE };
  },
  stream: async function* () {
    started += 1;
    await gate;
    yield { type: "delta", text: "Employees get 20 days of PTO [1]." };
    yield { type: "finish", usage: USAGE };
  },
};

beforeAll(async () => {
  database = await createTestDatabase();
  context = { db: database.db, embedder: createLocalEmbedder(), chat };
  await preloadTokenizer();
  await ingestFolder(context, `${SAMPLE_DOCS_DIR}/policies`, { collection: "handbook" });
  app = createApp({ context, logger: pino({ level: "silent" }), auth: "required" });
});
afterAll(async () => {
  await database.close();
});

const askWith = async (key: string, stream = false): Promise<Response> =>
  app.request("/v1/ask", {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({ ...QUESTION, stream }),
  });

async function loggedTokens(keyId: string): Promise<number> {
  const [row] = await queryRows<{ tokens: number }>(
    database.db,
    sql`SELECT coalesce(sum(prompt_tokens + completion_tokens), 0)::int AS tokens FROM queries WHERE key_id = ${keyId}`,
  );
  return row?.tokens ?? 0;
}

async function counter(keyId: string): Promise<number | undefined> {
  const [row] = await queryRows<{ count: number }>(
    database.db,
    sql`SELECT count FROM rate_limits WHERE bucket = ${`tokens:${keyId}`}`,
  );
  return row?.count;
}

describe("daily token quota under concurrent asks", () => {
  it("never lets 12 concurrent asks overshoot a 200-token quota by more than one answer", async () => {
    const { key, info } = await createApiKey(
      { db: database.db },
      {
        name: "quota-200",
        scopes: ["ask"],
        dailyTokenLimit: 200,
      },
    );
    gate = new Promise((resolve) => {
      release = resolve;
    });
    started = 0;
    let settled = 0;
    const pending = Array.from({ length: 12 }, (_, index) =>
      askWith(key, index % 2 === 1).then(async (response) => {
        settled += 1;
        return { status: response.status, body: await response.text() };
      }),
    );
    // Hold every admitted answer at the model until each of the 12 asks was admitted or refused.
    const deadline = Date.now() + 30_000;
    while (settled + started < 12) {
      if (Date.now() > deadline) throw new Error(`only ${settled + started} of 12 asks decided`);
      await new Promise((resolve) => setImmediate(resolve));
    }
    release();
    const results = await Promise.all(pending);
    const statuses = results.map((result) => result.status);
    const refused = results.filter((result) => result.status === 429);
    expect(statuses.filter((status) => status !== 200 && status !== 429)).toEqual([]);
    expect(refused.length).toBeGreaterThanOrEqual(10);
    for (const result of refused)
      expect(JSON.parse(result.body)).toMatchObject({ code: "rate_limited" });
    const used = await loggedTokens(info.id);
    expect(used).toBeGreaterThan(0);
    // The bound: the limit plus one answer's estimate (here: one answer's real 90 tokens).
    expect(used).toBeLessThanOrEqual(200 + USAGE.promptTokens + USAGE.completionTokens);
    expect(used).toBeLessThanOrEqual(200 + estimateAskTokens(context, QUESTION));
    // Settled: the counter holds what was really used, not the estimates.
    expect(await counter(info.id)).toBe(used);
  });

  it("admits asks one after another until the used tokens reach the quota", async () => {
    const { key, info } = await createApiKey(
      { db: database.db },
      {
        name: "quota-sequential",
        scopes: ["ask"],
        dailyTokenLimit: 200,
      },
    );
    gate = Promise.resolve();
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 5; attempt++) statuses.push((await askWith(key)).status);
    // 0 → 90 → 180 → 270: the third starts below the limit, the fourth does not.
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    expect(await loggedTokens(info.id)).toBe(270);
    expect(await counter(info.id)).toBe(270);
  });
});
