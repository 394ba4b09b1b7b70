// The CLI's composition root: config → database (migrated) → embedder → LoreContext.
import type { Config } from "@lore/config";
import type { LoreContext } from "@lore/core";
import { type Database, migrate, openDatabase } from "@lore/db";
import { createLocalEmbedder, createOpenAIEmbedder, type Embedder } from "@lore/providers";

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
    ...(config.openai.apiKey ? { apiKey: config.openai.apiKey } : {}),
    ...(config.openai.baseUrl ? { baseUrl: config.openai.baseUrl } : {}),
  });
}

export async function openRuntime(config: Config): Promise<Runtime> {
  const database = await openDatabase(
    config.databaseUrl
      ? { kind: "postgres", url: config.databaseUrl }
      : { kind: "pglite", dataDir: config.dataDir },
  );
  try {
    await migrate(database);
    const embedder = await createEmbedder(config);
    return {
      config,
      database,
      context: { db: database.db, embedder },
      close: () => database.close(),
    };
  } catch (error) {
    await database.close();
    throw error;
  }
}
