// POST /v1/ask when providers fail: retries, extractive degradation, deadlines, and a down embedder.
import { AskResponse } from "@lore/core";
import { queryRows } from "@lore/db";
import { createOpenAIChatModel, ProviderError } from "@lore/providers";
import { sql } from "drizzle-orm";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { createApp } from "../app";
import { Problem } from "../problem";
import { ROLLBACK, sourceNumber, useAskServer } from "./ask-testing";

describe("POST /v1/ask with an OpenAI-compatible chat model", () => {
  const ask = useAskServer();

  it("retries a 429 into an LLM answer", async () => {
    ask.fake.fault("chat", { kind: "status", status: 429, retryAfterSeconds: 0 });
    ask.fake.chat.reply((request) => `Use undo [${sourceNumber(request, "deploy.md")}].`);
    const body = await ask.askJson({ question: ROLLBACK });
    expect(body.mode).toBe("llm");
    expect(body.citations[0]?.source).toBe("deploy.md");
    expect(ask.fake.counts.chat).toBe(2);
  });

  it.each([
    ["a persistent 500", { kind: "status", status: 500, retryAfterSeconds: 0 }, /500/],
    ["malformed JSON", { kind: "malformed" }, /malformed/],
    ["empty output", { kind: "empty" }, /empty/],
  ] as const)(
    "degrades %s to the extractive answer with a 200 and a warning",
    async (_, fault, why) => {
      ask.fake.fault("chat", fault, { times: 10 });
      const started = Date.now();
      const body = await ask.askJson({ question: ROLLBACK });
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(body.mode).toBe("extractive-fallback");
      expect(body.abstained).toBe(false);
      expect(body.citations[0]?.source).toBe("deploy.md");
      expect(body.answer).toContain("kubectl argo rollouts undo ledger-api");
      expect(body.warnings?.[0]).toMatch(why);
      expect(body.warnings?.[0]).toMatch(/answered extractively/);
      const [row] = await queryRows<{ mode: string; warnings: string[] }>(
        ask.database.db,
        sql`SELECT mode, warnings FROM queries WHERE id = ${body.queryId}`,
      );
      expect(row).toEqual({ mode: "extractive-fallback", warnings: body.warnings });
    },
  );

  it.each([
    ["each attempt's timeout", { timeoutMs: 300, maxRetries: 1 }, {}, /timed out|timeout/i, 2],
    ["the answer deadline", { timeoutMs: 60_000 }, { deadlineMs: 500 }, /within 500 ms/, 1],
  ])(
    "degrades a server that never answers within %s",
    async (_, chatOptions, answering, why, attempts) => {
      ask.fake.fault("chat", { kind: "hang" }, { times: 10 });
      const impatient = createApp({
        context: {
          db: ask.database.db,
          embedder: ask.embedder,
          chat: createOpenAIChatModel({
            model: "gpt-4o-mini",
            baseUrl: ask.fake.baseURL,
            ...chatOptions,
          }),
          answering,
        },
        logger: pino({ level: "silent" }),
      });
      const started = Date.now();
      const response = await impatient.request("/v1/ask", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ question: ROLLBACK }),
      });
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(response.status).toBe(200);
      const body = AskResponse.parse(await response.json());
      expect(body.mode).toBe("extractive-fallback");
      expect(body.answer).toContain("kubectl argo rollouts undo ledger-api");
      expect(body.warnings?.[0]).toMatch(why);
      await ask.fake.whenIdle();
      expect(ask.fake.counts.chat).toBe(attempts);
    },
  );

  it("answers 503 with Retry-After when the embedder is down, streaming or not", async () => {
    ask.embedder.failWith(new ProviderError("embedding server unreachable", true));
    for (const stream of [false, true]) {
      const response = await ask.post({ question: ROLLBACK, stream });
      expect(response.status).toBe(503);
      expect(response.headers.get("retry-after")).toBeTruthy();
      expect(response.headers.get("content-type")).toContain("application/problem+json");
      expect(Problem.parse(await response.json()).code).toBe("provider_unavailable");
    }
    expect(ask.fake.counts.chat).toBe(0);
  });
});
