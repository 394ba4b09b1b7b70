import { type FakeOpenAI, startFakeOpenAI } from "@lore/fake-openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createOpenAIEmbedder } from "./openai-embedder";
import { ProviderError } from "./provider-error";

describe("OpenAI-compatible embedder against the fake server", () => {
  let fake: FakeOpenAI;
  beforeAll(async () => {
    fake = await startFakeOpenAI({ embeddingDimensions: 64 });
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(() => fake.reset());

  it("learns the dimension from the server for an unknown model and embeds in order", async () => {
    const embedder = await createOpenAIEmbedder({ model: "local-model", baseUrl: fake.baseURL });
    expect(embedder).toMatchObject({ id: "openai:local-model", dimensions: 64 });
    const texts = ["alpha", "beta", "gamma"];
    const vectors = await embedder.embed(texts);
    expect(vectors).toHaveLength(3);
    expect(await embedder.embed(["beta"])).toEqual([vectors[1]]);
  });

  it("gives the same vectors as float32 arrays, in order, straight from the base64 wire form", async () => {
    const embedder = await createOpenAIEmbedder({
      model: "text-embedding-3-small",
      dimensions: 64,
      baseUrl: fake.baseURL,
    });
    const texts = ["alpha", "beta", "gamma"];
    const vectors = await embedder.embedFloat32?.(texts);
    expect(vectors?.every((vector) => vector instanceof Float32Array)).toBe(true);
    expect(vectors?.map((vector) => Array.from(vector))).toEqual(await embedder.embed(texts));
    expect(fake.requests[0]?.body.encoding_format).toBe("base64");
  });

  it("retries a 429 honouring Retry-After, then succeeds", async () => {
    const embedder = await createOpenAIEmbedder({
      model: "text-embedding-3-small",
      dimensions: 64,
      baseUrl: fake.baseURL,
    });
    fake.fault("embeddings", { kind: "status", status: 429, retryAfterSeconds: 0 });
    expect(await embedder.embed(["hello"])).toHaveLength(1);
    expect(fake.counts.embeddings).toBe(2);
  });

  it("reports a persistent 500 as a retryable ProviderError after its retries", async () => {
    const embedder = await createOpenAIEmbedder({
      model: "text-embedding-3-small",
      dimensions: 64,
      baseUrl: fake.baseURL,
      maxRetries: 1,
    });
    fake.fault("embeddings", { kind: "status", status: 500, retryAfterSeconds: 0 }, { times: 5 });
    const error = await embedder.embed(["hello"]).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ retryable: true });
    expect(fake.counts.embeddings).toBe(2);
  });
});
