import {
  createApiKey,
  GapsResponse,
  ingestFolder,
  type LoreContext,
  SAMPLE_DOCS_DIR,
  UsageResponse,
} from "@lore/core";
import { type Database, feedback, queries } from "@lore/db";
import { createTestDatabase } from "@lore/db/testing";
import { createLocalEmbedder } from "@lore/providers";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../app";

let database: Database;
let context: LoreContext;
let app: ReturnType<typeof createApp>;
const keys: Record<"asker" | "handbookInsights" | "admin", string> = {
  asker: "",
  handbookInsights: "",
  admin: "",
};

const SINCE = "2026-10-01";

interface Seeded {
  collection: string;
  day: string;
  question: string;
  abstained?: boolean;
  mode?: string;
  totalMs: number;
  cited?: string[];
  rating?: "up" | "down";
  costUsd?: number;
}

const SEEDED: Seeded[] = [
  {
    collection: "handbook",
    day: "2026-11-01",
    question: "How much PTO do I get?",
    totalMs: 10,
    cited: ["holidays-and-leave.md"],
    rating: "up",
  },
  {
    collection: "handbook",
    day: "2026-11-01",
    question: "What is the meal per-diem?",
    totalMs: 20,
    cited: ["expense-and-travel.md", "holidays-and-leave.md"],
    costUsd: 0.25,
  },
  {
    collection: "handbook",
    day: "2026-11-01",
    question: "Does the company match 401k contributions?",
    abstained: true,
    totalMs: 30,
  },
  {
    collection: "handbook",
    day: "2026-11-01",
    question: "What is the 401k match?",
    mode: "extractive-fallback",
    totalMs: 40,
    cited: ["expense-and-travel.md"],
    rating: "down",
  },
  {
    collection: "people",
    day: "2026-11-02",
    question: "Who runs onboarding?",
    totalMs: 5,
    cited: ["onboarding.md"],
  },
];

beforeAll(async () => {
  database = await createTestDatabase();
  context = { db: database.db, embedder: createLocalEmbedder() };
  await ingestFolder(context, `${SAMPLE_DOCS_DIR}/policies`, { collection: "handbook" });
  await ingestFolder(context, `${SAMPLE_DOCS_DIR}/people`, { collection: "people" });
  keys.asker = (await createApiKey(context, { name: "asker", scopes: ["ask", "search"] })).key;
  keys.handbookInsights = (
    await createApiKey(context, {
      name: "handbook-owner",
      scopes: ["insights"],
      collections: ["handbook"],
    })
  ).key;
  keys.admin = (await createApiKey(context, { name: "ops", scopes: ["admin"] })).key;
  for (const [index, row] of SEEDED.entries()) {
    const id = `qry_seed${index}`;
    await database.db.insert(queries).values({
      id,
      collection: row.collection,
      question: row.question,
      answer: row.abstained ? "I could not find this in the documents." : "An answer. [1]",
      abstained: row.abstained ?? false,
      mode: row.mode ?? "extractive",
      citations: (row.cited ?? []).map((source, n) => ({ n: n + 1, source })),
      timings: { embedMs: 1, retrieveMs: 2, generateMs: 3, totalMs: row.totalMs },
      costUsd: row.costUsd ?? 0,
      promptTokens: row.costUsd ? 1000 : 0,
      createdAt: new Date(`${row.day}T12:00:00Z`),
    });
    if (row.rating) {
      await database.db
        .insert(feedback)
        .values({ id: `fb_seed${index}`, queryId: id, rating: row.rating });
    }
  }
  app = createApp({ context, logger: pino({ level: "silent" }), auth: "required" });
});
afterAll(async () => {
  await database.close();
});

const call = (path: string, key: string, body?: unknown) =>
  app.request(path, {
    method: body === undefined ? "GET" : "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

describe("GET /v1/insights/usage", () => {
  it("counts outcomes, votes, latency percentiles, cost and citations per day, collection and key", async () => {
    const response = await call(`/v1/insights/usage?since=${SINCE}`, keys.admin);
    expect(response.status).toBe(200);
    const body = UsageResponse.parse(await response.json());
    expect(body.collections).toEqual(["handbook", "people"]);
    expect(body.days).toHaveLength(2);
    expect(body.days[0]).toMatchObject({
      day: "2026-11-01",
      collection: "handbook",
      key: "(no key)",
      questions: 4,
      answered: 2,
      refused: 1,
      fallback: 1,
      thumbsUp: 1,
      thumbsDown: 1,
      thumbsUpRate: 0.5,
      promptTokens: 1000,
      costUsd: 0.25,
      latency: { totalMs: { p50: 25, p95: 38.5 }, embedMs: { p50: 1, p95: 1 } },
    });
    expect(body.totals).toMatchObject({ questions: 5, answered: 3, refused: 1, fallback: 1 });
    expect(body.topCited).toEqual([
      { collection: "handbook", source: "expense-and-travel.md", citations: 2 },
      { collection: "handbook", source: "holidays-and-leave.md", citations: 2 },
      { collection: "people", source: "onboarding.md", citations: 1 },
    ]);
    // The seeded citations name bare file names, so every ingested document is never cited.
    expect(body.neverCited).toContainEqual({
      collection: "handbook",
      source: "security-policy.md",
    });
  });

  it("shows a collection-limited key only its collections", async () => {
    const body = UsageResponse.parse(
      await (await call(`/v1/insights/usage?since=${SINCE}`, keys.handbookInsights)).json(),
    );
    expect(body.collections).toEqual(["handbook"]);
    expect(body.totals.questions).toBe(4);
    expect(
      body.neverCited.every((row: { collection: string }) => row.collection === "handbook"),
    ).toBe(true);
    expect((await call(`/v1/insights/usage?collection=people`, keys.handbookInsights)).status).toBe(
      403,
    );
  });
});

describe("GET /v1/insights/gaps", () => {
  it("groups the failed questions of a collection", async () => {
    const response = await call(
      `/v1/insights/gaps?collection=handbook&since=${SINCE}`,
      keys.handbookInsights,
    );
    expect(response.status).toBe(200);
    const body = GapsResponse.parse(await response.json());
    expect(body.gaps).toHaveLength(1);
    expect(body.gaps[0]).toMatchObject({
      count: 2,
      refused: 1,
      fallback: 1,
      thumbsDown: 1,
      status: "open",
      cited: [{ source: "expense-and-travel.md", count: 1 }],
    });
    expect(
      (body.gaps[0]?.questions ?? []).map((entry: { question: string }) => entry.question).sort(),
    ).toEqual(["does the company match 401k contributions?", "what is the 401k match?"]);
  });

  it("shows question text only to insights or admin keys, for their collections", async () => {
    expect((await call("/v1/insights/gaps?collection=handbook", keys.asker)).status).toBe(403);
    expect((await call("/v1/insights/usage", keys.asker)).status).toBe(403);
    expect((await call("/v1/insights/gaps?collection=people", keys.handbookInsights)).status).toBe(
      403,
    );
    expect((await call("/v1/insights/gaps?collection=people", keys.admin)).status).toBe(200);
  });

  it("resolves a gap by id", async () => {
    const listGaps = async () =>
      GapsResponse.parse(
        await (
          await call(`/v1/insights/gaps?collection=handbook&since=${SINCE}`, keys.admin)
        ).json(),
      );
    const listed = await listGaps();
    const resolved = await call("/v1/insights/gaps/resolve", keys.handbookInsights, {
      collection: "handbook",
      gapId: listed.gaps[0]?.id,
      since: SINCE,
    });
    expect(resolved.status).toBe(201);
    const after = await listGaps();
    expect(after.gaps[0]).toMatchObject({ id: listed.gaps[0]?.id, status: "resolved" });
    const unknown = await call("/v1/insights/gaps/resolve", keys.admin, {
      collection: "handbook",
      gapId: "gap_nothing",
    });
    expect(unknown.status).toBe(404);
  });
});
