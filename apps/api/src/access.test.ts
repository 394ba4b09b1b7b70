import { Writable } from "node:stream";
import { createApiKey, ingestFolder, type LoreContext, SAMPLE_DOCS_DIR } from "@lore/core";
import { type Database, openDatabase, queries, queryRows } from "@lore/db";
import { createTestDatabase, serveOverWire } from "@lore/db/testing";
import { createLocalEmbedder } from "@lore/providers";
import { Ajv2020 } from "ajv/dist/2020";
import { sql } from "drizzle-orm";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "./app";

const cleanups: (() => Promise<void>)[] = [];
let database: Database;
let context: LoreContext;
let app: ReturnType<typeof createApp>;
const logLines: string[] = [];
let handbookKey: string;
let adminKey: string;

function logger() {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(chunk.toString());
      done();
    },
  });
  return pino({ level: "info" }, sink);
}

beforeAll(async () => {
  database = await createTestDatabase();
  cleanups.push(() => database.close());
  context = { db: database.db, embedder: createLocalEmbedder() };
  await ingestFolder(context, `${SAMPLE_DOCS_DIR}/policies`, { collection: "handbook" });
  await ingestFolder(context, `${SAMPLE_DOCS_DIR}/people`, { collection: "people" });
  handbookKey = (
    await createApiKey(
      { db: database.db },
      {
        name: "handbook-app",
        scopes: ["ask", "search"],
        collections: ["handbook"],
        rateLimitPerMinute: 5,
      },
    )
  ).key;
  adminKey = (await createApiKey({ db: database.db }, { name: "ops", scopes: ["admin"] })).key;
  app = createApp({ context, logger: logger(), auth: "required" });
});
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

const call = (path: string, options: { key?: string; body?: unknown; method?: string } = {}) =>
  app.request(path, {
    method: options.method ?? (options.body === undefined ? "GET" : "POST"),
    headers: {
      "content-type": "application/json",
      ...(options.key ? { authorization: `Bearer ${options.key}` } : {}),
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });

const chunkCount = async () =>
  (
    await queryRows<{ total: number }>(database.db, sql`SELECT count(*)::int AS total FROM chunks`)
  )[0]?.total;

describe("API keys", () => {
  it("answers 401 without a key or with an unknown one", async () => {
    const missing = await call("/v1/ask", { body: { question: "PTO?", collection: "handbook" } });
    expect(missing.status).toBe(401);
    expect(await missing.json()).toMatchObject({ code: "unauthorized" });
    const wrong = await call("/v1/ask", {
      key: `lore_${"x".repeat(43)}`,
      body: { question: "PTO?", collection: "handbook" },
    });
    expect(wrong.status).toBe(401);
  });

  it("serves a valid key within its scopes and collections, 403 outside them", async () => {
    const ok = await call("/v1/ask", {
      key: handbookKey,
      body: { question: "How many PTO days do I get?", collection: "handbook" },
    });
    expect(ok.status).toBe(200);
    const other = await call("/v1/search", {
      key: handbookKey,
      body: { query: "interview", collection: "people" },
    });
    expect(other.status).toBe(403);
    const ingest = await call("/v1/ingest-jobs", {
      key: handbookKey,
      body: { collection: "handbook", path: "/tmp" },
    });
    expect(ingest.status).toBe(403);
    const keys = await call("/v1/keys", { key: handbookKey });
    expect(keys.status).toBe(403);
    const listed = (await (await call("/v1/collections", { key: handbookKey })).json()) as {
      collections: { name: string }[];
    };
    expect(listed.collections.map((collection) => collection.name)).toEqual(["handbook"]);
  });

  it("lets an admin key manage keys over HTTP, and a revoked key stops working", async () => {
    const created = await call("/v1/keys", {
      key: adminKey,
      body: { name: "temp", scopes: ["search"] },
    });
    expect(created.status).toBe(201);
    const { key, info } = (await created.json()) as { key: string; info: { id: string } };
    expect(key).toMatch(/^lore_[\w-]{43}$/);
    const listed = await (await call("/v1/keys", { key: adminKey })).text();
    expect(listed).not.toContain(key);
    const search = { query: "expenses", collection: "handbook" };
    expect((await call("/v1/search", { key, body: search })).status).toBe(200);
    expect((await call(`/v1/keys/${info.id}`, { key: adminKey, method: "DELETE" })).status).toBe(
      200,
    );
    expect((await call("/v1/search", { key, body: search })).status).toBe(401);
  });

  it("never writes a key into the logs", () => {
    const logs = logLines.join("");
    expect(logs).toContain('"key":"handbook-app"');
    expect(logs).not.toContain(handbookKey);
    expect(logs).not.toContain(adminKey);
  });

  it("refuses SQL- and path-shaped input without touching the data", async () => {
    const before = await chunkCount();
    const injected = await call("/v1/search", {
      key: adminKey,
      body: { query: "'; DROP TABLE chunks; --", collection: "handbook; drop table chunks" },
    });
    expect(injected.status).toBe(400);
    const quoted = await call("/v1/search", {
      key: adminKey,
      body: {
        query: "'); DELETE FROM documents; --",
        collection: "handbook",
        filters: { pathPrefix: "../../../etc/%'; --", tags: ["' OR 1=1 --"] },
      },
    });
    expect(quoted.status).toBe(200);
    expect(await quoted.json()).toEqual({ results: [] });
    expect(await chunkCount()).toBe(before);
  });
});

describe("limits", () => {
  it("answers 429 with Retry-After past the key's rate, across two app instances on one database", async () => {
    const key = (
      await createApiKey(
        { db: database.db },
        { name: "burst", scopes: ["search"], rateLimitPerMinute: 5 },
      )
    ).key;
    const wire = await serveOverWire(database);
    cleanups.push(wire.stop);
    const pooled = await openDatabase({ kind: "postgres", url: wire.url, poolSize: 2 });
    cleanups.push(() => pooled.close());
    const second = createApp({
      context: { db: pooled.db, embedder: context.embedder },
      logger: pino({ level: "silent" }),
      auth: "required",
    });
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let attempt = 0; attempt < 8; attempt++) {
      const target = attempt % 2 === 0 ? app : second;
      const response = await target.request("/v1/search", {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({ query: "travel", collection: "handbook" }),
      });
      statuses.push(response.status);
      if (response.status === 429) retryAfter = response.headers.get("retry-after");
    }
    expect(statuses.filter((status) => status === 200)).toHaveLength(5);
    expect(statuses.slice(5)).toEqual([429, 429, 429]);
    expect(Number(retryAfter)).toBeGreaterThan(0);
    expect(Number(retryAfter)).toBeLessThanOrEqual(60);
  });

  it("answers 429 once the daily token quota is used, counting answers logged earlier today", async () => {
    const question = { question: "How many PTO days do I get?", collection: "handbook" };
    const keyWithUsage = async (name: string, tokens: number) => {
      const { key, info } = await createApiKey(
        { db: database.db },
        {
          name,
          scopes: ["ask"],
          dailyTokenLimit: 1000,
        },
      );
      await database.db.insert(queries).values({
        id: `qry_${name}`,
        collection: "handbook",
        question: "earlier",
        answer: "earlier",
        abstained: false,
        mode: "llm",
        promptTokens: tokens - 200,
        completionTokens: 200,
        keyId: info.id,
      });
      return key;
    };
    const underQuota = await keyWithUsage("quota-under", 900);
    expect((await call("/v1/ask", { key: underQuota, body: question })).status).toBe(200);
    const overQuota = await keyWithUsage("quota-over", 1100);
    const limited = await call("/v1/ask", { key: overQuota, body: question });
    expect(limited.status).toBe(429);
    expect(await limited.json()).toMatchObject({ code: "rate_limited" });
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
  });
});

describe("observability and contract", () => {
  it("counts requests and answers in /metrics", async () => {
    const value = async () => {
      const text = await (await app.request("/metrics")).text();
      const line = text
        .split("\n")
        .find((row) =>
          row.startsWith('lore_http_requests_total{method="POST",route="/v1/ask",status="200"}'),
        );
      return Number(line?.split(" ").at(-1) ?? 0);
    };
    const before = await value();
    await call("/v1/ask", {
      key: adminKey,
      body: { question: "What is the per-diem?", collection: "handbook" },
    });
    await call("/v1/ask", {
      key: adminKey,
      body: { question: "Who approves travel?", collection: "handbook" },
    });
    expect(await value()).toBe(before + 2);
    const text = await (await app.request("/metrics")).text();
    expect(text).toMatch(/lore_ask_stage_duration_seconds_bucket\{le="[\d.]+",stage="retrieve"\}/);
    expect(text).toMatch(/lore_ingest_jobs\{status="queued"\} 0/);
  });

  it("records feedback on a logged answer and 404s an unknown one", async () => {
    await database.db.insert(queries).values({
      id: "qry_feedback_test",
      collection: "handbook",
      question: "q",
      answer: "a",
      abstained: false,
      mode: "extractive",
    });
    const recorded = await call("/v1/feedback", {
      key: adminKey,
      body: { queryId: "qry_feedback_test", rating: "up", comment: "spot on" },
    });
    expect(recorded.status).toBe(201);
    expect(await recorded.json()).toMatchObject({ id: expect.stringMatching(/^fb_/) });
    const unknown = await call("/v1/feedback", {
      key: adminKey,
      body: { queryId: "qry_nope", rating: "down" },
    });
    expect(unknown.status).toBe(404);
  });

  it("returns responses that validate against its own OpenAPI document", async () => {
    const document = (await (await app.request("/openapi.json")).json()) as {
      paths: Record<
        string,
        Record<
          string,
          { responses: Record<string, { content: Record<string, { schema: object }> }> }
        >
      >;
    };
    const ajv = new Ajv2020({ strict: false });
    const check = async (path: string, body: unknown, status: number) => {
      const response = await call(path, { key: adminKey, body });
      expect(response.status).toBe(status);
      const contentType = status === 200 ? "application/json" : "application/problem+json";
      const schema =
        document.paths[path]?.post?.responses[String(status)]?.content[contentType]?.schema;
      expect(schema).toBeDefined();
      const validate = ajv.compile(schema ?? {});
      const valid = validate(await response.json());
      expect(validate.errors ?? []).toEqual([]);
      expect(valid).toBe(true);
    };
    await check("/v1/ask", { question: "What is the hotel limit?", collection: "handbook" }, 200);
    await check("/v1/search", { query: "hotel", collection: "handbook", topK: 3 }, 200);
    await check("/v1/ask", { question: "" }, 400);
    await check("/v1/search", { query: "x", collection: "missing" }, 404);
  });
});

describe("CORS", () => {
  it("answers preflights for configured origins only", async () => {
    const corsApp = createApp({
      context,
      logger: pino({ level: "silent" }),
      corsOrigins: ["https://intranet.example.com"],
    });
    const preflight = (origin: string) =>
      corsApp.request("/v1/ask", {
        method: "OPTIONS",
        headers: {
          origin,
          "access-control-request-method": "POST",
          "access-control-request-headers": "authorization,content-type",
        },
      });
    const allowed = await preflight("https://intranet.example.com");
    expect(allowed.headers.get("access-control-allow-origin")).toBe("https://intranet.example.com");
    expect(allowed.headers.get("access-control-allow-headers")).toMatch(/authorization/);
    const other = await preflight("https://evil.example.net");
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
  });
});
