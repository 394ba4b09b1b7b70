// The CLI's composition root: config → database (migrated) → embedder, chat model → LoreContext.
import { type Config, ConfigError } from "@lore/config";
import {
  type AnsweringSettings,
  type LoreContext,
  type ProcessJobOptions,
  type RetrievalOverrides,
  retrievalOverrides,
  retrievalSettings,
} from "@lore/core";
import { type Database, describeError } from "@lore/db";
import {
  type ChatModel,
  createLocalEmbedder,
  createOpenAIChatModel,
  createOpenAIEmbedder,
  type Embedder,
} from "@lore/providers";
import type { Command } from "commander";
import type { Logger } from "pino";
import { resolveConfig } from "./command-input";
import { type DatabaseWait, openMigratedDatabase } from "./database";

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
    ...openAIServer(config),
    ...(config.embed.dimensions ? { dimensions: config.embed.dimensions } : {}),
    ...(config.embed.batchSize ? { maxBatch: config.embed.batchSize } : {}),
  });
}

// One retry: a question waits on this call, and a client gives up long before an ingest would.
const QUERY_EMBED_RETRIES = 1;

/**
 * The embedder for questions and search queries: the same model with a short timeout and one
 * retry, so a hanging provider answers the request with an error in seconds. The local embedder
 * makes no network call and is shared.
 */
export async function createQueryEmbedder(config: Config, embedder: Embedder): Promise<Embedder> {
  if (config.embed.provider === "local") return embedder;
  return createOpenAIEmbedder({
    ...openAIServer(config),
    ...(config.embed.dimensions
      ? { dimensions: config.embed.dimensions }
      : { knownDimensions: embedder.dimensions }),
    timeoutMs: config.embed.queryTimeoutMs,
    maxRetries: QUERY_EMBED_RETRIES,
  });
}

/** The embedding model and the server that serves it. */
function openAIServer(config: Config): { model: string; apiKey?: string; baseUrl?: string } {
  return {
    model: config.embed.model,
    ...(config.openai.apiKey ? { apiKey: config.openai.apiKey } : {}),
    ...(config.openai.baseUrl ? { baseUrl: config.openai.baseUrl } : {}),
  };
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

/** The context a process needs to ingest, search and answer over an open database. */
export async function createContext(config: Config, database: Database): Promise<LoreContext> {
  const embedder = await createEmbedder(config);
  const retrieval = retrievalOverrides(config.retrieval);
  checkRetrieval(embedder, retrieval);
  return {
    db: database.db,
    embedder,
    queryEmbedder: await createQueryEmbedder(config, embedder),
    vectorIndex: config.vectorIndex,
    retrieval,
    ...chatContext(config),
  };
}

// The weights combine with the embedder's defaults (the local embedder's vector weight is 0), so a
// setting that leaves no ranking stops start-up instead of failing every search with a 400.
function checkRetrieval(embedder: Embedder, retrieval: RetrievalOverrides): void {
  try {
    retrievalSettings(embedder.id, retrieval);
  } catch {
    throw new ConfigError(
      `Invalid configuration: LORE_RETRIEVAL_TEXT_WEIGHT=0 leaves no ranking with ${embedder.id}, whose vector weight is 0 unless LORE_RETRIEVAL_VECTOR_WEIGHT sets one`,
    );
  }
}

/** The ingest settings every job run by this process uses (LORE_INGEST_*). */
export function ingestSettings(config: Config): NonNullable<ProcessJobOptions["ingest"]> {
  return {
    include: config.ingest.include,
    exclude: config.ingest.exclude,
    maxFileBytes: config.ingest.maxFileBytes,
    ...(config.embed.concurrency ? { embedConcurrency: config.embed.concurrency } : {}),
  };
}

/** At most one log line per this long about broken connections: an outage breaks every one. */
const CONNECTION_LOG_INTERVAL_MS = 5000;

/**
 * Logs broken database connections for a long-running process (serve, worker) by code and
 * message only. The pool has already dropped them and reconnects on next use; requests made
 * meanwhile answer 503 and the worker waits, so this is a warning, not a reason to exit.
 */
export function logConnectionErrors(database: Database, logger: Logger): () => void {
  let lastLoggedAt = 0;
  let unlogged = 0;
  return database.onConnectionError((error) => {
    const now = Date.now();
    if (now - lastLoggedAt < CONNECTION_LOG_INTERVAL_MS) {
      unlogged += 1;
      return;
    }
    logger.warn(
      { error: describeError(error), alsoBroken: unlogged },
      "a database connection broke; reconnecting on next use",
    );
    lastLoggedAt = now;
    unlogged = 0;
  });
}

/**
 * For `lore serve` and `lore worker` on a server: wait LORE_DB_WAIT_SECONDS for a Postgres that
 * does not answer yet, saying so once; short commands fail at once and say why.
 */
export function waitForDatabase(config: Config, logger: Logger): DatabaseWait {
  const seconds = config.databaseWaitSeconds;
  return {
    ms: seconds * 1000,
    onUnreachable: (error) =>
      logger.warn(
        { error: describeError(error), waitSeconds: seconds },
        `the database does not answer yet; waiting up to ${seconds} s for it (LORE_DB_WAIT_SECONDS)`,
      ),
  };
}

export async function openRuntime(config: Config, wait?: DatabaseWait): Promise<Runtime> {
  const database = await openMigratedDatabase(config, wait);
  try {
    return {
      config,
      database,
      context: await createContext(config, database),
      close: () => database.close(),
    };
  } catch (error) {
    await database.close();
    throw error;
  }
}

export async function withRuntime<T>(
  command: Command,
  run: (runtime: Runtime) => Promise<T>,
): Promise<T> {
  const runtime = await openRuntime(resolveConfig(command));
  try {
    return await run(runtime);
  } finally {
    await runtime.close();
  }
}
