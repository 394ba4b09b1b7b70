import {
  AskResponse,
  CollectionsResponse,
  ingestFolder,
  MAX_QUESTION_LENGTH,
  SAMPLE_DOCS_DIR,
  SearchResponse,
} from "@lore/core";
import { misquotedCitations } from "@lore/core/testing";
import { type Database, openDatabase, queryRows } from "@lore/db";
import { createTestDatabase, serveOverWire } from "@lore/db/testing";
import { createLocalEmbedder } from "@lore/providers";
import { sql } from "drizzle-orm";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "./app";
import { Problem } from "./problem";
import { type RunningServer, serveApp } from "./serve";

// The same HTTP behaviour on both drivers: PGlite in-process, and node-postgres over the wire.
describe.each(["pglite", "postgres"] as const)("HTTP API on %s", (driver) => {
  const cleanups: (() => Promise<void>)[] = [];
  let database: Database;
  let server: RunningServer;

  beforeAll(async () => {
    const embedded = await createTestDatabase();
    cleanups.push(() => embedded.close());
    database = embedded;
    if (driver === "postgres") {
      const wire = await serveOverWire(embedded);
      cleanups.push(wire.stop);
      database = await openDatabase({ kind: "postgres", url: wire.url, poolSize: 4 });
      const pooled = database;
      cleanups.push(() => pooled.close());
    }
    const context = { db: database.db, embedder: createLocalEmbedder() };
    await ingestFolder(context, SAMPLE_DOCS_DIR, { collection: "default" });
    server = await serveApp(createApp({ context, logger: pino({ level: "silent" }) }), {
      port: 0,
      host: "127.0.0.1",
    });
    cleanups.push(() => server.close());
  });
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${server.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body,
    });

  async function snapshot(): Promise<unknown> {
    return queryRows(
      database.db,
      sql`SELECT (SELECT count(*) FROM collections)::int AS collections, (SELECT count(*) FROM documents)::int AS documents, (SELECT count(*) FROM chunks)::int AS chunks, (SELECT max(updated_at) FROM documents) AS updated`,
    );
  }

  it("answers a question with a cited source and line range", async () => {
    const response = await post(
      "/v1/ask",
      JSON.stringify({ question: "How do I roll back a deploy?" }),
    );
    expect(response.status).toBe(200);
    const body = AskResponse.parse(await response.json());
    expect(body.abstained).toBe(false);
    expect(body.citations.length).toBeGreaterThan(0);
    expect(misquotedCitations(SAMPLE_DOCS_DIR, body.citations)).toEqual([]);
    // The deploy guide's rollback commands are among the quotes.
    expect(body.citations).toContainEqual(
      expect.objectContaining({
        source: "engineering/deploy-guide.md",
        snippet: expect.stringContaining("kubectl argo rollouts undo"),
      }),
    );
  });

  it("searches and lists collections", async () => {
    const searched = await post(
      "/v1/search",
      JSON.stringify({ query: "FileVault full-disk encryption on laptops", topK: 3 }),
    );
    expect(searched.status).toBe(200);
    const { results } = SearchResponse.parse(await searched.json());
    expect(results).toHaveLength(3);
    expect(results[0]?.source).toBe("policies/security-policy.md");

    const listed = await fetch(`${server.url}/v1/collections`);
    const { collections } = CollectionsResponse.parse(await listed.json());
    expect(collections).toEqual([
      expect.objectContaining({
        name: "default",
        documents: expect.any(Number),
        chunks: expect.any(Number),
      }),
    ]);
    expect(collections[0]?.chunks).toBeGreaterThan(collections[0]?.documents ?? 0);
  });

  it("reports liveness and readiness", async () => {
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${server.url}/readyz`)).json()).toEqual({ status: "ready" });
  });

  const badRequests = [
    {
      name: "malformed JSON",
      path: "/v1/ask",
      body: '{"question": "x",',
      status: 400,
      detail: /JSON/i,
    },
    { name: "a missing question", path: "/v1/ask", body: "{}", status: 400, detail: /question/ },
    {
      name: "an over-long question",
      path: "/v1/ask",
      body: JSON.stringify({ question: "why ".repeat(MAX_QUESTION_LENGTH) }),
      status: 400,
      detail: /question/,
    },
    {
      name: "an unknown collection",
      path: "/v1/ask",
      body: JSON.stringify({ question: "How do I deploy?", collection: "nope" }),
      status: 404,
      detail: /nope/,
    },
    {
      name: "an SQL-shaped collection name",
      path: "/v1/search",
      body: JSON.stringify({ query: "deploy", collection: "default; drop table chunks" }),
      status: 400,
      detail: /collection/,
    },
    {
      name: "an unknown field",
      path: "/v1/search",
      body: JSON.stringify({ query: "deploy", limit: 3 }),
      status: 400,
      detail: /limit/,
    },
    {
      name: "a topK out of bounds",
      path: "/v1/search",
      body: JSON.stringify({ query: "deploy", topK: 1000 }),
      status: 400,
      detail: /topK/,
    },
  ];

  it("answers unknown routes with a 404 problem", async () => {
    const response = await fetch(`${server.url}/v1/nothing-here`);
    expect(response.status).toBe(404);
    expect(Problem.parse(await response.json()).code).toBe("not_found");
  });

  it("publishes an OpenAPI document with the ask and search routes", async () => {
    const document = (await (await fetch(`${server.url}/openapi.json`)).json()) as {
      paths: Record<string, unknown>;
    };
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining(["/v1/ask", "/v1/search", "/v1/collections"]),
    );
  });

  // The over-size case stays last: the server answers before reading the whole body, and the
  // client's kept-alive socket is closed after it.
  badRequests.push({
    name: "an over-size body",
    path: "/v1/ask",
    body: JSON.stringify({ question: "x".repeat(2_000_000) }),
    status: 413,
    detail: /too large/,
  });

  it.each(badRequests)(
    "rejects $name with a $status problem+json and writes nothing",
    async (bad) => {
      const before = await snapshot();
      const response = await post(bad.path, bad.body);
      expect(response.status).toBe(bad.status);
      expect(response.headers.get("content-type")).toContain("application/problem+json");
      const problem = Problem.parse(await response.json());
      expect(problem.status).toBe(bad.status);
      expect(problem.detail).toMatch(bad.detail);
      expect(problem.requestId).toBe(response.headers.get("x-request-id"));
      expect(JSON.stringify(problem)).not.toMatch(/at .*\.ts:\d+|SELECT|stack/);
      expect(await snapshot()).toEqual(before);
    },
  );
});

// Bodies streamed without a Content-Length (chunked) are counted as they arrive instead.
describe("request body limit without a Content-Length", () => {
  let database: Database;
  let server: RunningServer;
  beforeAll(async () => {
    database = await createTestDatabase();
    const context = { db: database.db, embedder: createLocalEmbedder() };
    const app = createApp({ context, logger: pino({ level: "silent" }), maxBodyBytes: 1000 });
    server = await serveApp(app, { port: 0, host: "127.0.0.1" });
  });
  afterAll(async () => {
    await server.close();
    await database.close();
  });

  const postChunked = (body: string) =>
    fetch(`${server.url}/v1/search`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: new Blob([body]).stream(),
      duplex: "half",
    } as RequestInit);

  it("reads a chunked body under the limit", async () => {
    const response = await postChunked(JSON.stringify({ query: "deploy", collection: "absent" }));
    expect(response.headers.get("content-length")).not.toBeNull();
    expect(Problem.parse(await response.json()).code).toBe("not_found");
  });

  it("refuses a chunked body over the limit with a 413 problem", async () => {
    const response = await postChunked(JSON.stringify({ query: "x".repeat(5000) }));
    expect(response.status).toBe(413);
    expect(Problem.parse(await response.json()).code).toBe("payload_too_large");
  });
});
