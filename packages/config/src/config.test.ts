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
  ])("names %s when its value is invalid", (variable, environment) => {
    expect(() => loadConfig(environment)).toThrow(ConfigError);
    expect(() => loadConfig(environment)).toThrow(
      new RegExp(`^Invalid configuration: ${variable}`),
    );
  });
});
