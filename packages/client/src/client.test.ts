import { createApp, type RunningServer, serveApp } from "@lore/api";
import { createApiKey, ingestFolder, SAMPLE_DOCS_DIR } from "@lore/core";
import type { Database } from "@lore/db";
import { createTestDatabase } from "@lore/db/testing";
import { createLocalEmbedder } from "@lore/providers";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AskStreamEvent, createLoreClient, LoreApiError } from "./client";

let database: Database;
let server: RunningServer;
let apiKey: string;

beforeAll(async () => {
  database = await createTestDatabase();
  const context = { db: database.db, embedder: createLocalEmbedder() };
  await ingestFolder(context, `${SAMPLE_DOCS_DIR}/engineering`, { collection: "eng" });
  apiKey = (
    await createApiKey({ db: database.db }, { name: "client-test", scopes: ["ask", "search"] })
  ).key;
  server = await serveApp(
    createApp({ context, logger: pino({ level: "silent" }), auth: "required" }),
    { port: 0, host: "127.0.0.1" },
  );
});
afterAll(async () => {
  await server.close();
  await database.close();
});

describe("@lore/client against a running server", () => {
  it("asks, searches and lists collections with typed results", async () => {
    const lore = createLoreClient({ baseUrl: server.url, apiKey });
    const answer = await lore.ask({ question: "How do I roll back a deploy?", collection: "eng" });
    expect(answer.abstained).toBe(false);
    expect(answer.citations[0]?.source).toBe("deploy-guide.md");
    const { results } = await lore.search({
      query: "feature flag cleanup",
      collection: "eng",
      topK: 2,
    });
    expect(results).toHaveLength(2);
    expect((await lore.collections()).collections.map((collection) => collection.name)).toEqual([
      "eng",
    ]);
  });

  it("streams an answer as server-sent events ending in done", async () => {
    const lore = createLoreClient({ baseUrl: server.url, apiKey });
    const events: AskStreamEvent[] = [];
    for await (const event of lore.askStream({
      question: "How do I roll back a deploy?",
      collection: "eng",
    })) {
      events.push(event);
    }
    const done = events.at(-1);
    expect(done?.type).toBe("done");
    if (done?.type !== "done") return;
    const text = events.flatMap((event) => (event.type === "token" ? [event.text] : [])).join("");
    expect(text).toBe(done.response.answer);
    expect(events.some((event) => event.type === "citations")).toBe(true);
  });

  it("raises LoreApiError with the problem's code and status", async () => {
    const anonymous = createLoreClient({ baseUrl: server.url });
    const unauthorized = await anonymous.ask({ question: "hi" }).catch((error: unknown) => error);
    expect(unauthorized).toBeInstanceOf(LoreApiError);
    expect(unauthorized).toMatchObject({ status: 401, code: "unauthorized" });
    const lore = createLoreClient({ baseUrl: server.url, apiKey });
    const missing = await lore
      .search({ query: "x", collection: "nope" })
      .catch((error: unknown) => error);
    expect(missing).toMatchObject({
      status: 404,
      code: "not_found",
      requestId: expect.any(String),
    });
  });
});
