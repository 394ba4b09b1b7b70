// The query path's embedder: a hanging provider fails a question after one retry, and a client that left stops it.
import { loadConfig } from "@lore/config";
import { type FakeOpenAI, startFakeOpenAI } from "@lore/fake-openai";
import { ProviderError } from "@lore/providers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEmbedder, createQueryEmbedder } from "./runtime";

let fake: FakeOpenAI;
beforeAll(async () => {
  fake = await startFakeOpenAI({ embeddingDimensions: 24, models: ["lore-test-embedder"] });
});
afterAll(async () => {
  await fake.close();
});

function openAIConfig(queryTimeoutMs = 200) {
  return loadConfig({
    LORE_EMBED_PROVIDER: "openai",
    LORE_EMBED_MODEL: "lore-test-embedder",
    OPENAI_BASE_URL: fake.baseURL,
    OPENAI_API_KEY: "test",
    LORE_QUERY_EMBED_TIMEOUT_MS: String(queryTimeoutMs),
  });
}

describe("query embedder", () => {
  it("reuses the ingest embedder's probed dimensions instead of probing again", async () => {
    fake.reset();
    const config = openAIConfig();
    const embedder = await createEmbedder(config);
    expect(fake.counts.embeddings).toBe(1);
    const queryEmbedder = await createQueryEmbedder(config, embedder);
    expect(queryEmbedder.dimensions).toBe(24);
    expect(fake.counts.embeddings).toBe(1);
    const [vector] = await queryEmbedder.embed(["how do I roll back?"]);
    expect(vector).toHaveLength(24);
    // The probed size is not sent: servers that do not take `dimensions` keep working.
    expect(fake.requests.at(-1)?.body).not.toHaveProperty("dimensions");
  });

  it("gives up on a hanging provider after one retry", async () => {
    fake.reset();
    const config = openAIConfig();
    const queryEmbedder = await createQueryEmbedder(config, await createEmbedder(config));
    fake.reset();
    fake.fault("embeddings", { kind: "hang" }, { times: 10 });
    await expect(queryEmbedder.embed(["a question"])).rejects.toBeInstanceOf(ProviderError);
    await fake.whenIdle();
    expect(fake.counts.embeddings).toBe(2);
  });

  it("stops when the client's signal aborts, without retrying", async () => {
    fake.reset();
    // A long timeout, so only the abort can end the request.
    const config = openAIConfig(600_000);
    const queryEmbedder = await createQueryEmbedder(config, await createEmbedder(config));
    fake.reset();
    fake.fault("embeddings", { kind: "hang" }, { times: 10 });
    const client = new AbortController();
    const pending = queryEmbedder.embed(["a question"], client.signal);
    await expect.poll(() => fake.counts.embeddings).toBe(1);
    client.abort();
    await expect(pending).rejects.toThrow();
    await fake.whenIdle();
    expect(fake.counts.embeddings).toBe(1);
  });
});
