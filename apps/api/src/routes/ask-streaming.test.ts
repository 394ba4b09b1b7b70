// POST /v1/ask as server-sent events: tokens, citations and done, cuts mid-stream, client disconnects.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { AskResponse, ingestFolder } from "@lore/core";
import { type Database, queryRows } from "@lore/db";
import { createTestDatabase } from "@lore/db/testing";
import { createLocalEmbedder } from "@lore/providers";
import { sql } from "drizzle-orm";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../app";
import { DOCS, parseSse, ROLLBACK, sourceNumber, useAskServer } from "./ask-testing";

describe("POST /v1/ask with an OpenAI-compatible chat model", () => {
  const ask = useAskServer();

  it("streams tokens with citation markers intact, then citations and the full response", async () => {
    ask.fake.chat.reply(
      (request) =>
        `Run kubectl argo rollouts undo ledger-api [${sourceNumber(request, "deploy.md")}] then wait for the canary [${sourceNumber(request, "deploy.md")}].`,
    );
    const events = await ask.askStream({ question: ROLLBACK });
    const names = events.map((event) => event.event);
    expect(names.filter((name) => name === "token").length).toBeGreaterThan(3);
    expect(names.slice(-2)).toEqual(["citations", "done"]);
    expect(names).not.toContain("error");
    const text = events
      .filter((event) => event.event === "token")
      .map((event) => (event.data as { text: string }).text)
      .join("");
    const done = AskResponse.parse(events.at(-1)?.data);
    expect(text).toBe(done.answer);
    expect(text).toContain("[1]");
    expect(done.mode).toBe("llm");
    expect(events.at(-2)?.data).toEqual({ citations: done.citations });
    expect(ask.chat.calls[0]?.kind).toBe("stream");
  });

  it("streams with Accept: text/event-stream too", async () => {
    ask.fake.chat.reply((request) => `Use undo [${sourceNumber(request, "deploy.md")}].`);
    const response = await ask.post({ question: ROLLBACK }, { accept: "text/event-stream" });
    const events = parseSse(await response.text());
    expect(events.at(-1)?.event).toBe("done");
  });

  it("ends a stream cut midway with an error event, then a done carrying the extractive fallback", async () => {
    ask.fake.fault("chat", { kind: "cut", afterChunks: 4 });
    ask.fake.chat.reply(
      (request) =>
        `To roll back run the undo command for ledger-api right away [${sourceNumber(request, "deploy.md")}].`,
    );
    const events = await ask.askStream({ question: ROLLBACK });
    const names = events.map((event) => event.event);
    expect(names[0]).toBe("token");
    expect(names.slice(-3)).toEqual(["error", "citations", "done"]);
    expect(events.at(-3)?.data).toMatchObject({ code: "provider_unavailable" });
    const done = AskResponse.parse(events.at(-1)?.data);
    expect(done.mode).toBe("extractive-fallback");
    expect(done.answer).toContain("kubectl argo rollouts undo ledger-api");
    expect(done.warnings?.[0]).toMatch(/cut/);
  });

  it("aborts the upstream model call when the client disconnects", async () => {
    // The model never answers: only the client's disconnect can end its call.
    ask.fake.fault("chat", { kind: "hang" });
    const client = new AbortController();
    const response = await ask.post({ question: ROLLBACK, stream: true }, {}, client.signal);
    expect(response.status).toBe(200);
    await expect.poll(() => ask.fake.requests.length).toBe(1);
    client.abort();
    await ask.fake.whenIdle();
    expect(ask.fake.requests).toHaveLength(1);
    expect(ask.fake.requests[0]).toMatchObject({ endpoint: "chat", aborted: true });
    expect(ask.chat.calls[0]?.aborted).toBe(true);
  });
});

describe("POST /v1/ask without a chat model", () => {
  let database: Database;
  let app: ReturnType<typeof createApp>;
  beforeAll(async () => {
    database = await createTestDatabase();
    const folder = await mkdtemp(path.join(tmpdir(), "lore-ask-extractive-"));
    await writeFile(path.join(folder, "deploy.md"), DOCS["deploy.md"] ?? "");
    const context = { db: database.db, embedder: createLocalEmbedder() };
    await ingestFolder(context, folder, { collection: "default" });
    await rm(folder, { recursive: true, force: true });
    app = createApp({ context, logger: pino({ level: "silent" }) });
  });
  afterAll(async () => {
    await database.close();
  });

  it("streams the extractive answer as tokens, then citations and done", async () => {
    const response = await app.request("/v1/ask", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ question: ROLLBACK, stream: true, history: [] }),
    });
    const events = parseSse(await response.text());
    const done = AskResponse.parse(events.at(-1)?.data);
    expect(done.mode).toBe("extractive");
    expect(done.usage).toBeUndefined();
    const text = events
      .filter((event) => event.event === "token")
      .map((event) => (event.data as { text: string }).text)
      .join("");
    expect(text).toBe(done.answer);
    expect(events.at(-2)).toEqual({ event: "citations", data: { citations: done.citations } });
    const [row] = await queryRows<{ id: string; model: string | null }>(
      database.db,
      sql`SELECT id, model FROM queries`,
    );
    expect(row).toEqual({ id: done.queryId, model: null });
  });
});
