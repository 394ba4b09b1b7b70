// The API while its database is away: 503 `unavailable` with Retry-After (never 500), /readyz follows, logs stay clean.
import { createApiKey, ingestFolder, type LoreContext, SAMPLE_DOCS_DIR } from "@lore/core";
import { type Database, openDatabase } from "@lore/db";
import { createTestDatabase, freePort, serveOverWire, type WireServer } from "@lore/db/testing";
import { createLocalEmbedder } from "@lore/providers";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "./app";
import { classify, logFailure } from "./problem";
import { capturingLogger } from "./testing";

const SECRET = "confidential-merger-codename-bluebird";
let embedded: Database;
let wire: WireServer;
let port: number;
let pool: Database;
let app: ReturnType<typeof createApp>;
let key: string;
const logLines: string[] = [];

beforeAll(async () => {
  embedded = await createTestDatabase();
  const setup: LoreContext = { db: embedded.db, embedder: createLocalEmbedder() };
  await ingestFolder(setup, `${SAMPLE_DOCS_DIR}/policies`, { collection: "handbook" });
  key = (await createApiKey({ db: embedded.db }, { name: "outage", scopes: ["admin"] })).key;
  port = await freePort();
  wire = await serveOverWire(embedded, { port });
  pool = await openDatabase({ kind: "postgres", url: wire.url, poolSize: 3 });
  const context: LoreContext = { db: pool.db, embedder: createLocalEmbedder() };
  app = createApp({ context, logger: capturingLogger(logLines), auth: "required" });
});
afterAll(async () => {
  await pool.close();
  await wire.stop();
  await embedded.close();
});

function request(path: string, body?: unknown): Promise<Response> {
  return Promise.resolve(
    app.request(path, {
      method: body === undefined ? "GET" : "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }),
  );
}

describe("the API during a database outage", () => {
  it("answers 503 unavailable with Retry-After while the database is away, then 200 again", async () => {
    const search = () => request("/v1/search", { query: `PTO ${SECRET}`, collection: "handbook" });
    expect((await search()).status).toBe(200);
    expect((await request("/readyz")).status).toBe(200);

    await wire.stop();
    for (const call of [
      search,
      () => request("/v1/ask", { question: `How much PTO? ${SECRET}`, collection: "handbook" }),
      () => request("/v1/collections"),
      () => request("/readyz"),
    ]) {
      const response = await call();
      const body = (await response.json()) as { code: string; requestId: string };
      expect(response.status).toBe(503);
      expect(body.code).toBe("unavailable");
      expect(Number(response.headers.get("retry-after"))).toBeGreaterThan(0);
    }
    expect((await request("/healthz")).status).toBe(200);

    wire = await serveOverWire(embedded, { port });
    // Broken pooled connections may still answer 503 once each; then it is back.
    await expect.poll(async () => (await search()).status, { timeout: 10_000 }).toBe(200);
    expect((await request("/readyz")).status).toBe(200);

    const logged = logLines.join("");
    expect(logged).toMatch(/the database is unreachable/);
    expect(logged).not.toContain(SECRET);
    expect(logged).not.toContain(key.slice(0, 12));
  });

  it("logs a failed query by SQLSTATE and short message, without its SQL or parameters", async () => {
    const failure = await embedded.db
      .execute(sql`SELECT ${SECRET}::int, ${"document text ".repeat(2000)}`)
      .catch((error: unknown) => error);
    expect(classify(failure).code).toBe("internal");
    const lines: string[] = [];
    logFailure(capturingLogger(lines), "req_1", failure, "internal");
    const [line] = lines;
    expect(JSON.parse(line ?? "{}")).toMatchObject({
      requestId: "req_1",
      error: { code: "22P02" },
      msg: "request failed",
    });
    expect(line).not.toContain(SECRET);
    expect(line).not.toContain("document text");
    expect((line ?? "").length).toBeLessThan(500);
  });
});
