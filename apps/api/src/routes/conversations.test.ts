import {
  AskResponse,
  Conversation,
  createApiKey,
  ingestFolder,
  type LoreContext,
  SAMPLE_DOCS_DIR,
} from "@lore/core";
import type { Database } from "@lore/db";
import { createTestDatabase } from "@lore/db/testing";
import { type ChatModel, type ChatStreamPart, createLocalEmbedder } from "@lore/providers";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../app";
import { parseSse } from "./ask-testing";

// Server-side conversations over the sample docs: follow-ups answered from the right document.
describe("conversations", () => {
  let database: Database;
  let context: LoreContext;

  beforeAll(async () => {
    database = await createTestDatabase();
    context = { db: database.db, embedder: createLocalEmbedder() };
    await ingestFolder(context, SAMPLE_DOCS_DIR, { collection: "default" });
    // The sample docs take seconds to embed, more on a busy machine.
  }, 300_000);
  afterAll(async () => database?.close());

  const open = (options: { ttlMs?: number } = {}) =>
    createApp({
      context,
      logger: pino({ level: process.env.F17_DEBUG ? "error" : "silent" }),
      conversationTtlMs: options.ttlMs,
    });

  async function post(app: ReturnType<typeof open>, path: string, body: unknown, key?: string) {
    return app.request(path, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(key ? { authorization: `Bearer ${key}` } : {}),
      },
      body: JSON.stringify(body),
    });
  }

  async function start(app: ReturnType<typeof open>, key?: string): Promise<string> {
    const response = await post(app, "/v1/conversations", { collection: "default" }, key);
    expect(response.status).toBe(201);
    return Conversation.parse(await response.json()).id;
  }

  async function say(app: ReturnType<typeof open>, id: string, question: string) {
    const response = await post(app, `/v1/conversations/${id}/messages`, { question });
    expect(response.status).toBe(200);
    return AskResponse.parse(await response.json());
  }

  const cited = (response: AskResponse) =>
    response.citations.map((citation) => `${citation.source} > ${citation.heading}`);

  it("answers three turns, each follow-up from the right document, each with its own citations", async () => {
    const app = open();
    const id = await start(app);
    const first = await say(app, id, "How do I roll back a deploy?");
    expect(first.abstained).toBe(false);
    expect(cited(first)[0]).toMatch(/^engineering\/deploy-guide\.md > .*Rolling back/);

    const second = await say(app, id, "and for a canary?");
    expect(second.abstained).toBe(false);
    expect(cited(second)[0]).toMatch(/^engineering\/deploy-guide\.md > .*Canary/);
    expect(second.answer).toMatch(/kubectl argo rollouts (abort|undo)/);

    const third = await say(app, id, "who approves it?");
    expect(third.abstained).toBe(false);
    // The deploy guide, not the expense policy's approval flow that the words alone find.
    expect(cited(third)[0]).toMatch(/^engineering\/deploy-guide\.md/);

    // Asked alone, the last two find other documents: the conversation is what answers them.
    const alone = await post(app, "/v1/ask", { question: "who approves it?" });
    expect(cited(AskResponse.parse(await alone.json()))[0]).not.toMatch(/deploy-guide/);

    const stored = await app.request(`/v1/conversations/${id}`);
    expect(stored.status).toBe(200);
    const conversation = Conversation.parse(await stored.json());
    expect(conversation.messages.map((message) => [message.role, message.content])).toEqual([
      ["user", "How do I roll back a deploy?"],
      ["assistant", first.answer],
      ["user", "and for a canary?"],
      ["assistant", second.answer],
      ["user", "who approves it?"],
      ["assistant", third.answer],
    ]);
    const answers = conversation.messages.filter((message) => message.role === "assistant");
    expect(answers.map((message) => message.citations)).toEqual(
      [first, second, third].map((response) => response.citations),
    );
    expect(answers.map((message) => message.queryId)).toEqual(
      [first, second, third].map((response) => response.queryId),
    );
    expect(conversation.messages[2]?.standaloneQuestion).toBe(
      "How do I roll back a deploy? and for a canary?",
    );
  });

  it("with a chat model, rewrites a follow-up from the stored history before searching", async () => {
    const rewrites: string[] = [];
    const answered: string[] = [];
    const chat: ChatModel = {
      id: "scripted:conversation",
      complete: async (messages) => {
        const prompt = messages.at(-1)?.content ?? "";
        if (messages[0]?.content.startsWith("Rewrite")) {
          rewrites.push(prompt);
          return { text: "How do I roll back a canary rollout?", usage: undefined };
        }
        answered.push(prompt);
        return { text: "Abort or undo the rollout [1].", usage: undefined };
      },
      stream: async function* (): AsyncIterable<ChatStreamPart> {
        yield { type: "delta", text: "Abort or undo the rollout [1]." };
        yield { type: "finish", usage: { promptTokens: 1, completionTokens: 1 } };
      },
    };
    const app = createApp({ context: { ...context, chat }, logger: pino({ level: "silent" }) });
    const id = await start(app);
    const first = await say(app, id, "How do I roll back a deploy?");
    expect(rewrites).toEqual([]);
    const second = await say(app, id, "and for a canary?");
    // The rewrite saw the conversation as stored: the first question and its answer.
    expect(rewrites).toHaveLength(1);
    expect(rewrites[0]).toContain("User: How do I roll back a deploy?");
    expect(rewrites[0]).toContain(`Assistant: ${first.answer}`);
    expect(rewrites[0]).toContain("Follow-up question: and for a canary?");
    expect(second.timings.rewriteMs).toBeDefined();
    // The answer was asked, and searched, as the standalone question.
    expect(answered.at(-1)).toContain("How do I roll back a canary rollout?");
    expect(cited(second)[0]).toMatch(/^engineering\/deploy-guide\.md/);
  });

  it("streams a follow-up like /v1/ask", async () => {
    const app = open();
    const id = await start(app);
    await say(app, id, "How do I roll back a deploy?");
    const response = await post(app, `/v1/conversations/${id}/messages`, {
      question: "and for a canary?",
      stream: true,
    });
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    const events = parseSse(await response.text());
    expect(events.map((event) => event.event).slice(-2)).toEqual(["citations", "done"]);
    const done = AskResponse.parse(events.at(-1)?.data);
    expect(cited(done)[0]).toMatch(/Canary/);
  });

  it("belongs to the key that made it: another key gets 404, as for an unknown id", async () => {
    const app = createApp({ context, logger: pino({ level: "silent" }), auth: "required" });
    const { key: mine } = await createApiKey(context, { name: "conv-owner", scopes: ["ask"] });
    const { key: theirs } = await createApiKey(context, { name: "conv-other", scopes: ["ask"] });
    const id = await start(app, mine);
    const headers = (key: string) => ({ authorization: `Bearer ${key}` });
    expect((await app.request(`/v1/conversations/${id}`, { headers: headers(mine) })).status).toBe(
      200,
    );
    const read = await app.request(`/v1/conversations/${id}`, { headers: headers(theirs) });
    expect(read.status).toBe(404);
    const asked = await post(app, `/v1/conversations/${id}/messages`, { question: "hi?" }, theirs);
    expect(asked.status).toBe(404);
    const unknown = await app.request("/v1/conversations/cnv_AAAAAAAAAAAAAAAA", {
      headers: headers(mine),
    });
    expect(await unknown.json()).toMatchObject({ code: "not_found" });
    expect(await read.json()).toMatchObject({ code: "not_found" });
  });

  it("expires after the configured time", async () => {
    const app = open({ ttlMs: 200 });
    const id = await start(app);
    expect((await app.request(`/v1/conversations/${id}`)).status).toBe(200);
    await expect
      .poll(async () => (await app.request(`/v1/conversations/${id}`)).status, { timeout: 5000 })
      .toBe(404);
  });
});
