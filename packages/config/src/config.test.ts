import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "./config";

describe("loadConfig", () => {
  it("defaults to embedded mode with local embeddings and extractive answers", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      mode: "embedded",
      port: 3000,
      host: "127.0.0.1",
      auth: "off",
      embed: { provider: "local", model: "lore-hash-v1" },
      chat: { provider: "extractive" },
    });
    expect(config.dataDir).toMatch(/\.lore$/);
  });

  it("switches to server mode and OpenAI answers from the environment", () => {
    const config = loadConfig({
      DATABASE_URL: "postgres://lore@db/lore",
      OPENAI_API_KEY: "sk-test",
      PORT: "8080",
    });
    expect(config).toMatchObject({
      mode: "server",
      databaseUrl: "postgres://lore@db/lore",
      host: "0.0.0.0",
      auth: "required",
      port: 8080,
      chat: { provider: "openai", model: "gpt-4o-mini" },
    });
  });

  it("reads chat timeouts, budget, temperature and a JSON price table", () => {
    const config = loadConfig({
      LORE_CHAT_PROVIDER: "openai",
      OPENAI_BASE_URL: "http://localhost:11434/v1",
      LORE_CHAT_MODEL: "llama3.1",
      LORE_CHAT_TIMEOUT_MS: "5000",
      LORE_CHAT_RETRIES: "1",
      LORE_CHAT_DEADLINE_MS: "20000",
      LORE_CHAT_SOURCE_TOKENS: "3000",
      LORE_CHAT_TEMPERATURE: "0.2",
      LORE_CHAT_PRICES: '{"llama3.1": {"input": 0.05, "output": 0.1}}',
    });
    expect(config.chat).toEqual({
      provider: "openai",
      model: "llama3.1",
      timeoutMs: 5000,
      retries: 1,
      deadlineMs: 20000,
      sourceTokens: 3000,
      temperature: 0.2,
      prices: { "llama3.1": { input: 0.05, output: 0.1 } },
    });
  });

  it("reads the retrieval settings, leaving unset ones to the embedder's defaults", () => {
    expect(loadConfig({}).retrieval).toEqual({});
    expect(
      loadConfig({
        LORE_RETRIEVAL_VECTOR_WEIGHT: "0.05",
        LORE_RETRIEVAL_TEXT_WEIGHT: "1",
        LORE_RETRIEVAL_CANDIDATES: "80",
        LORE_RETRIEVAL_RRF_K: "20",
        LORE_RETRIEVAL_BM25_K1: "1.2",
        LORE_RETRIEVAL_BM25_B: "0.75",
      }).retrieval,
    ).toEqual({
      vectorWeight: 0.05,
      textWeight: 1,
      candidates: 80,
      rrfK: 20,
      bm25K1: 1.2,
      bm25B: 0.75,
    });
    expect(() => loadConfig({ LORE_RETRIEVAL_BM25_B: "2" })).toThrow(/LORE_RETRIEVAL_BM25_B/);
    expect(() =>
      loadConfig({ LORE_RETRIEVAL_VECTOR_WEIGHT: "0", LORE_RETRIEVAL_TEXT_WEIGHT: "0" }),
    ).toThrow(/LORE_RETRIEVAL_TEXT_WEIGHT=0/);
  });

  it("reads hnsw.ef_search, leaving it unset for the database default", () => {
    expect(loadConfig({ LORE_HNSW_EF_SEARCH: "200" }).hnswEfSearch).toBe(200);
    expect(loadConfig({}).hnswEfSearch).toBeUndefined();
  });

  it("reads the ingest throughput and index build settings, with defaults", () => {
    const config = loadConfig({
      LORE_EMBED_BATCH_SIZE: "512",
      LORE_EMBED_CONCURRENCY: "2",
      LORE_HNSW_M: "24",
      LORE_HNSW_EF_CONSTRUCTION: "128",
      LORE_HNSW_BUILD_MEMORY_MB: "1024",
      LORE_HNSW_BUILD_WORKERS: "2",
      LORE_DB_POOL_SIZE: "20",
    });
    expect(config.databasePoolSize).toBe(20);
    expect(loadConfig({}).databasePoolSize).toBe(10);
    expect(config.embed).toMatchObject({ batchSize: 512, concurrency: 2 });
    expect(config.vectorIndex).toEqual({
      m: 24,
      efConstruction: 128,
      buildMemoryMb: 1024,
      buildWorkers: 2,
    });
    expect(loadConfig({}).embed.concurrency).toBeUndefined();
    expect(loadConfig({}).vectorIndex).toEqual({});
    expect(() => loadConfig({ LORE_EMBED_BATCH_SIZE: "4096" })).toThrow(/LORE_EMBED_BATCH_SIZE/);
  });

  it("lets flags override the environment", () => {
    expect(loadConfig({ PORT: "8080" }, { port: 9090, dataDir: "/tmp/x" })).toMatchObject({
      port: 9090,
      dataDir: "/tmp/x",
    });
  });

  it.each([
    ["PORT", { PORT: "eighty" }],
    ["LORE_AUTH", { LORE_AUTH: "maybe" }],
    ["DATABASE_URL", { DATABASE_URL: "mysql://x" }],
    ["LORE_EMBED_PROVIDER", { LORE_EMBED_PROVIDER: "cohere" }],
    ["OPENAI_BASE_URL", { OPENAI_BASE_URL: "not a url" }],
    ["LORE_CHAT_PROVIDER", { LORE_CHAT_PROVIDER: "openai" }],
    ["LORE_CHAT_PRICES", { LORE_CHAT_PRICES: "{gpt: cheap}" }],
    ["LORE_CHAT_PRICES", { LORE_CHAT_PRICES: '{"gpt-4o-mini": {"input": -1, "output": 1}}' }],
    ["LORE_CHAT_TIMEOUT_MS", { LORE_CHAT_TIMEOUT_MS: "soon" }],
    ["LORE_CHAT_TEMPERATURE", { LORE_CHAT_TEMPERATURE: "3" }],
    ["LORE_HNSW_EF_SEARCH", { LORE_HNSW_EF_SEARCH: "0" }],
    ["LORE_INGEST_ROOTS", { LORE_INGEST_ROOTS: "docs" }],
    ["LORE_INGEST_MAX_FILE_BYTES", { LORE_INGEST_MAX_FILE_BYTES: "-5" }],
    ["LORE_WORKER_LEASE_SECONDS", { LORE_WORKER_LEASE_SECONDS: "0" }],
  ])("names %s when its value is invalid", (variable, environment) => {
    expect(() => loadConfig(environment)).toThrow(ConfigError);
    expect(() => loadConfig(environment)).toThrow(
      new RegExp(`^Invalid configuration: ${variable}`),
    );
  });

  it("reads ingest roots, globs and worker settings; a server reads no folder unless told", () => {
    expect(
      loadConfig({
        LORE_INGEST_ROOTS: "/srv/docs:/srv/wiki",
        LORE_INGEST_EXCLUDE: "drafts/**, *.tmp",
        LORE_WORKER_CONCURRENCY: "4",
      }),
    ).toMatchObject({
      ingest: { roots: ["/srv/docs", "/srv/wiki"], include: [], exclude: ["drafts/**", "*.tmp"] },
      worker: { concurrency: 4, leaseSeconds: 30 },
    });
    expect(loadConfig({ DATABASE_URL: "postgres://lore@db/lore" }).ingest.roots).toEqual([]);
  });
});
