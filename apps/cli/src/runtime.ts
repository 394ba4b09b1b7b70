// The CLI's composition root: config → database (migrated) → embedder, chat model → LoreContext.
import type { Config } from "@lore/config";
import type { AnsweringSettings, LoreContext } from "@lore/core";
import { type Database, migrate, openDatabase } from "@lore/db";
import {
  type ChatModel,
  createLocalEmbedder,
  createOpenAIChatModel,
  createOpenAIEmbedder,
  type Embedder,
} from "@lore/providers";

export interface Runtime {
  config: Config;
  database: Database;
  context: LoreContext;
  close(): Promise<void>;
}

export async function createEmbedder(config: Config): Promise<Embedder> {
  if (config.embed.provider === "local") {
    return createLocalEmbedder(
      config.embed.dimensions ? { dimensions: config.embed.dimensions } : {},
    );
  }
  return createOpenAIEmbedder({
    model: config.embed.model,
    ...(config.embed.dimensions ? { dimensions: config.embed.dimensions } : {}),
    ...(config.embed.batchSize ? { maxBatch: config.embed.batchSize } : {}),
    ...(config.openai.apiKey ? { apiKey: config.openai.apiKey } : {}),
    ...(config.openai.baseUrl ? { baseUrl: config.openai.baseUrl } : {}),
  });
}

/** The chat model when answers come from an LLM; undefined for extractive answers. */
export function createChatModel(config: Config): ChatModel | undefined {
  if (config.chat.provider !== "openai") return undefined;
  const { chat, openai } = config;
  return createOpenAIChatModel({
    model: chat.model,
    ...(openai.apiKey ? { apiKey: openai.apiKey } : {}),
    ...(openai.baseUrl ? { baseUrl: openai.baseUrl } : {}),
    ...(chat.timeoutMs === undefined ? {} : { timeoutMs: chat.timeoutMs }),
    ...(chat.retries === undefined ? {} : { maxRetries: chat.retries }),
    ...(chat.temperature === undefined ? {} : { temperature: chat.temperature }),
  });
}

function answeringOverrides(config: Config): Partial<AnsweringSettings> {
  const { chat } = config;
  return {
    ...(chat.deadlineMs === undefined ? {} : { deadlineMs: chat.deadlineMs }),
    ...(chat.sourceTokens === undefined ? {} : { sourceTokens: chat.sourceTokens }),
    ...(chat.prices === undefined ? {} : { prices: chat.prices }),
  };
}

function chatContext(config: Config): Pick<LoreContext, "chat" | "answering"> {
  const chat = createChatModel(config);
  return chat ? { chat, answering: answeringOverrides(config) } : {};
}

export async function openRuntime(config: Config): Promise<Runtime> {
  const database = await openDatabase(
    config.databaseUrl
      ? { kind: "postgres", url: config.databaseUrl, poolSize: config.databasePoolSize }
      : { kind: "pglite", dataDir: config.dataDir },
    config.hnswEfSearch === undefined ? {} : { hnswEfSearch: config.hnswEfSearch },
  );
  try {
    await migrate(database);
    const embedder = await createEmbedder(config);
    return {
      config,
      database,
      context: {
        db: database.db,
        embedder,
        vectorIndex: config.vectorIndex,
        ...chatContext(config),
      },
      close: () => database.close(),
    };
  } catch (error) {
    await database.close();
    throw error;
  }
}
