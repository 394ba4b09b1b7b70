import { type FakeOpenAI, startFakeOpenAI } from "@lore/fake-openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { ChatStreamPart } from "./chat-model";
import { createRecordingChatModel } from "./chat-recording";
import { createOpenAIChatModel } from "./openai-chat-model";
import { ProviderError } from "./provider-error";

const question = [{ role: "user" as const, content: "How do I deploy?" }];

async function collect(parts: AsyncIterable<ChatStreamPart>): Promise<ChatStreamPart[]> {
  const collected: ChatStreamPart[] = [];
  for await (const part of parts) collected.push(part);
  return collected;
}

describe("OpenAI-compatible chat model against the fake server", () => {
  let fake: FakeOpenAI;
  beforeAll(async () => {
    fake = await startFakeOpenAI({ streamChunkDelayMs: 5 });
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(() => fake.reset());

  const model = (options: { timeoutMs?: number; maxRetries?: number } = {}) =>
    createOpenAIChatModel({ model: "gpt-4o-mini", baseUrl: fake.baseURL, ...options });

  it("completes with temperature 0 and reports the provider's usage", async () => {
    fake.chat.reply("Run pnpm deploy [1].");
    const completion = await model().complete(question);
    expect(completion.text).toBe("Run pnpm deploy [1].");
    expect(completion.usage).toEqual({ promptTokens: 5, completionTokens: 5 });
    expect(fake.requests[0]?.body).toMatchObject({ model: "gpt-4o-mini", temperature: 0 });
  });

  it("retries a 429 honouring Retry-After, then succeeds", async () => {
    fake.fault("chat", { kind: "status", status: 429, retryAfterSeconds: 0 });
    fake.chat.reply("Fine [1].");
    expect((await model().complete(question)).text).toBe("Fine [1].");
    expect(fake.counts.chat).toBe(2);
  });

  it.each([
    ["a persistent 500", { kind: "status", status: 500, retryAfterSeconds: 0 }],
    ["malformed JSON", { kind: "malformed" }],
  ] as const)(
    "gives up on %s after its retries with a retryable ProviderError",
    async (_, fault) => {
      fake.fault("chat", fault, { times: 5 });
      const error = await model({ maxRetries: 1 })
        .complete(question)
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ProviderError);
      expect(error).toMatchObject({ retryable: true });
      expect(fake.counts.chat).toBe(2);
    },
  );

  it("times out a hanging server per attempt", async () => {
    fake.fault("chat", { kind: "hang" }, { times: 5 });
    const started = Date.now();
    const error = await model({ timeoutMs: 100, maxRetries: 1 })
      .complete(question)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProviderError);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(fake.counts.chat).toBe(2);
  });

  it("streams word deltas with citation markers intact, then the usage", async () => {
    fake.chat.reply("Deploy with pnpm [1] and wait [2].");
    const parts = await collect(model().stream(question));
    const text = parts.map((part) => (part.type === "delta" ? part.text : "")).join("");
    expect(text).toBe("Deploy with pnpm [1] and wait [2].");
    expect(parts.some((part) => part.type === "delta" && part.text.trim() === "[1]")).toBe(true);
    expect(parts.at(-1)).toEqual({
      type: "finish",
      usage: { promptTokens: 5, completionTokens: 9 },
    });
  });

  it("throws a ProviderError when the stream is cut midway, after the deltas it got", async () => {
    fake.fault("chat", { kind: "cut", afterChunks: 3 });
    fake.chat.reply("one two three four five six");
    const seen: string[] = [];
    const error = await (async () => {
      for await (const part of model().stream(question)) {
        if (part.type === "delta") seen.push(part.text);
      }
    })().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProviderError);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.join("")).not.toContain("six");
  });

  it("aborts the upstream request when the caller's signal fires mid-stream", async () => {
    fake.chat.reply("a b c d e f g h i j k l m n o p q r s t u v w x y z");
    const recording = createRecordingChatModel(model());
    const controller = new AbortController();
    const error = await (async () => {
      for await (const part of recording.stream(question, { signal: controller.signal })) {
        if (part.type === "delta") controller.abort(new Error("client went away"));
      }
    })().catch((caught: unknown) => caught);
    expect(error).toMatchObject({ message: "client went away" });
    await fake.whenIdle();
    expect(recording.calls[0]).toMatchObject({ kind: "stream", aborted: true });
    expect(fake.requests[0]?.aborted).toBe(true);
  });
});
