// Parses and validates Lore's configuration; a bad value stops start-up with a message naming the variable.
import { homedir } from "node:os";
import path from "node:path";
import { z } from "zod";

const optionalString = z
  .string()
  .trim()
  .transform((value) => (value === "" ? undefined : value))
  .optional();

const optionalInteger = (min: number, max: number) =>
  z.preprocess(
    (value) => (typeof value === "string" && value.trim() === "" ? undefined : value),
    z.coerce.number().int().min(min).max(max).optional(),
  );

const optionalNumber = (min: number, max: number) =>
  z.preprocess(
    (value) => (typeof value === "string" && value.trim() === "" ? undefined : value),
    z.coerce.number().min(min).max(max).optional(),
  );

/** USD per million prompt (`input`) and completion (`output`) tokens, by model name. */
const ChatPrices = z.record(
  z.string().min(1),
  z.object({ input: z.number().min(0), output: z.number().min(0) }).strict(),
);

// The raw environment, by the names users and scripts rely on (DESIGN.md "Contract").
const Environment = z.object({
  DATABASE_URL: optionalString.pipe(
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, "must start with postgres:// or postgresql://")
      .optional(),
  ),
  LORE_DATA_DIR: optionalString,
  PORT: optionalInteger(0, 65_535),
  HOST: optionalString,
  LORE_AUTH: optionalString.pipe(z.enum(["off", "required"]).optional()),
  LORE_EMBED_PROVIDER: optionalString.pipe(z.enum(["local", "openai"]).optional()),
  LORE_EMBED_MODEL: optionalString,
  LORE_EMBED_DIMENSIONS: optionalInteger(8, 4096),
  LORE_CHAT_PROVIDER: optionalString.pipe(z.enum(["extractive", "openai"]).optional()),
  LORE_CHAT_MODEL: optionalString,
  LORE_CHAT_TIMEOUT_MS: optionalInteger(100, 600_000),
  LORE_CHAT_RETRIES: optionalInteger(0, 10),
  LORE_CHAT_DEADLINE_MS: optionalInteger(100, 600_000),
  LORE_CHAT_SOURCE_TOKENS: optionalInteger(100, 1_000_000),
  LORE_CHAT_TEMPERATURE: z.preprocess(
    (value) => (typeof value === "string" && value.trim() === "" ? undefined : value),
    z.coerce.number().min(0).max(2).optional(),
  ),
  LORE_CHAT_PRICES: optionalString.pipe(
    z
      .string()
      .transform((value, context) => {
        try {
          return JSON.parse(value) as unknown;
        } catch {
          context.addIssue({ code: "custom", message: "must be JSON" });
          return z.NEVER;
        }
      })
      .pipe(ChatPrices)
      .optional(),
  ),
  OPENAI_API_KEY: optionalString,
  OPENAI_BASE_URL: optionalString.pipe(z.url().optional()),
  LORE_LOG_LEVEL: optionalString.pipe(
    z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).optional(),
  ),
  LORE_SAMPLE_DOCS: optionalString.pipe(z.enum(["on", "off"]).optional()),
  LORE_INGEST_ROOTS: optionalString.pipe(
    z
      .string()
      .transform((value) => value.split(path.delimiter).filter((root) => root.trim() !== ""))
      .pipe(z.array(z.string().refine(path.isAbsolute, "each root must be an absolute path")))
      .optional(),
  ),
  LORE_INGEST_MAX_FILE_BYTES: optionalInteger(1, 1024 * 1024 * 1024),
  LORE_INGEST_INCLUDE: optionalString,
  LORE_INGEST_EXCLUDE: optionalString,
  LORE_WORKER_CONCURRENCY: optionalInteger(1, 64),
  LORE_WORKER_LEASE_SECONDS: optionalInteger(1, 3600),
  LORE_QUERY_RETENTION_DAYS: optionalInteger(0, 36_500),
  LORE_ALLOWED_HOSTS: optionalString.pipe(
    z
      .string()
      .transform((value) =>
        value
          .split(",")
          .map((host) => host.trim().toLowerCase())
          .filter((host) => host !== ""),
      )
      .pipe(
        z.array(
          z
            .string()
            .regex(
              /^(\*|[a-z0-9.-]+|\[[0-9a-f:.]+\]|[0-9a-f:.]+)$/,
              "each entry must be a host name or address without scheme or port, or *",
            )
            .transform((host) => host.replace(/^\[(.*)\]$/, "$1")),
        ),
      )
      .optional(),
  ),
  LORE_COLLECTION_INGEST_ROOTS: optionalString.pipe(
    z
      .string()
      .transform((value) => value.split(path.delimiter).filter((entry) => entry.trim() !== ""))
      .pipe(
        z.array(
          z
            .string()
            .regex(/^[a-z0-9][a-z0-9_-]*=.+$/, "each entry must be collection=/absolute/folder")
            .refine(
              (entry) => path.isAbsolute(entry.slice(entry.indexOf("=") + 1)),
              "each folder must be an absolute path",
            ),
        ),
      )
      .optional(),
  ),
  LORE_CORS_ORIGINS: optionalString.pipe(
    z
      .string()
      .transform((value) => value.split(",").map((origin) => origin.trim()))
      .pipe(z.array(z.union([z.literal("*"), z.url()])))
      .optional(),
  ),
  LORE_REQUEST_TIMEOUT_MS: optionalInteger(100, 3_600_000),
  LORE_CONVERSATION_TTL_MS: optionalInteger(1000, 365 * 24 * 3_600_000),
  LORE_HNSW_EF_SEARCH: optionalInteger(1, 1000),
  LORE_DB_PREPARED_STATEMENTS: optionalString.pipe(z.enum(["on", "off"]).optional()),
  LORE_HNSW_M: optionalInteger(2, 100),
  LORE_HNSW_EF_CONSTRUCTION: optionalInteger(4, 1000),
  LORE_HNSW_BUILD_MEMORY_MB: optionalInteger(1, 1024 * 1024),
  LORE_HNSW_BUILD_WORKERS: optionalInteger(0, 64),
  LORE_EMBED_BATCH_SIZE: optionalInteger(1, 2048),
  LORE_EMBED_CONCURRENCY: optionalInteger(1, 64),
  LORE_QUERY_EMBED_TIMEOUT_MS: optionalInteger(100, 600_000),
  LORE_DB_POOL_SIZE: optionalInteger(1, 1000),
  LORE_DB_WAIT_SECONDS: optionalInteger(0, 86_400),
  LORE_RETRIEVAL_CANDIDATES: optionalInteger(1, 10_000),
  LORE_RETRIEVAL_RRF_K: optionalInteger(0, 10_000),
  LORE_RETRIEVAL_VECTOR_WEIGHT: optionalNumber(0, 100),
  LORE_RETRIEVAL_TEXT_WEIGHT: optionalNumber(0, 100),
  LORE_RETRIEVAL_BM25_K1: optionalNumber(0, 10),
  LORE_RETRIEVAL_BM25_B: optionalNumber(0, 1),
});

type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";

export interface Config {
  mode: "embedded" | "server";
  databaseUrl?: string;
  /** Connections in each process's pg pool (server mode). */
  databasePoolSize: number;
  /** How long `lore serve` and `lore worker` wait for a server that does not answer yet (0: exit at once). */
  databaseWaitSeconds: number;
  dataDir: string;
  port: number;
  host: string;
  auth: "off" | "required";
  embed: {
    provider: "local" | "openai";
    model: string;
    dimensions?: number;
    /** Texts per embedding request; unset: the provider's default. */
    batchSize?: number;
    /** Embedding requests one ingest keeps in flight; unset: the ingest's default. */
    concurrency?: number;
    /** Per attempt, for a question's or search query's embedding (one retry); ingest keeps 60 s. */
    queryTimeoutMs: number;
  };
  /** Unset numbers fall back to the providers' and answerer's defaults. */
  chat: {
    provider: "extractive" | "openai";
    model: string;
    /** Per attempt. */
    timeoutMs?: number;
    retries?: number;
    /** The whole answer generation, all attempts; past it the extractive answer stands in. */
    deadlineMs?: number;
    /** Prompt budget for retrieved sources. */
    sourceTokens?: number;
    temperature?: number;
    prices?: Record<string, { input: number; output: number }>;
  };
  openai: { apiKey?: string; baseUrl?: string };
  logLevel: LogLevel;
  /** Load fixtures/docs into the default collection when it is empty (embedded start only). */
  loadSampleDocs: boolean;
  /** Folder ingest: `roots` bound paths given over HTTP; globs and size apply wherever jobs run. */
  ingest: { roots: string[]; maxFileBytes: number; include: string[]; exclude: string[] };
  /** Jobs one worker runs at once, and how long a silent worker keeps its job. */
  worker: { concurrency: number; leaseSeconds: number };
  /** Days the query log (questions, answers, feedback) is kept; 0: forever. */
  queryRetentionDays: number;
  /** Browser origins allowed to call the API; empty: no CORS headers. */
  corsOrigins: string[];
  /** With auth off, Host names served besides localhost, 127.0.0.0/8 and ::1; "*": any. */
  allowedHosts: string[];
  /** Folders only one collection may ingest over HTTP, by collection (besides the shared `ingest.roots`). */
  collectionIngestRoots: Record<string, string[]>;
  requestTimeoutMs: number;
  /** How long a conversation lives after its last message; unset: DEFAULT_CONVERSATION_TTL_MS (24 h). */
  conversationTtlMs?: number;
  /** hnsw.ef_search of every search; unset: chosen per search by the index's size (chooseEfSearch in @lore/db). */
  hnswEfSearch?: number;
  /** Hot queries as named prepared statements (server mode); off behind an old PgBouncer. */
  databasePreparedStatements: boolean;
  /** How HNSW indexes are built; unset: m and efConstruction by the vectors built over (chooseHnswParameters), the rest DEFAULT_VECTOR_INDEX in @lore/db. */
  vectorIndex: {
    m?: number;
    efConstruction?: number;
    buildMemoryMb?: number;
    buildWorkers?: number;
  };
  /** Hybrid retrieval's fusion and BM25; unset values: the embedder's defaults in @lore/core. */
  retrieval: {
    candidates?: number;
    rrfK?: number;
    vectorWeight?: number;
    textWeight?: number;
    bm25K1?: number;
    bm25B?: number;
  };
}

/** Values from CLI flags; they win over the environment. */
export type ConfigOverrides = Partial<Pick<Config, "port" | "host" | "dataDir">>;

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

const LOCAL_EMBED_MODEL = "lore-hash-v1";
const DEFAULT_OPENAI_EMBED_MODEL = "text-embedding-3-small";
const DEFAULT_OPENAI_CHAT_MODEL = "gpt-4o-mini";

export function loadConfig(
  environment: NodeJS.ProcessEnv = process.env,
  overrides: ConfigOverrides = {},
): Config {
  const parsed = Environment.safeParse(environment);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const variable = String(issue?.path[0] ?? "environment");
    const value = environment[variable];
    throw new ConfigError(
      `Invalid configuration: ${variable}=${JSON.stringify(value)}: ${issue?.message ?? "invalid"}`,
    );
  }
  const env = parsed.data;
  const mode = env.DATABASE_URL ? "server" : "embedded";
  const embedProvider = env.LORE_EMBED_PROVIDER ?? "local";
  const chatProvider = env.LORE_CHAT_PROVIDER ?? (env.OPENAI_API_KEY ? "openai" : "extractive");
  const needsKey = embedProvider === "openai" || chatProvider === "openai";
  if (needsKey && !env.OPENAI_API_KEY && !env.OPENAI_BASE_URL) {
    const variable = embedProvider === "openai" ? "LORE_EMBED_PROVIDER" : "LORE_CHAT_PROVIDER";
    throw new ConfigError(
      `Invalid configuration: ${variable}=openai needs OPENAI_API_KEY (or OPENAI_BASE_URL for a server without keys)`,
    );
  }
  if (
    embedProvider === "local" &&
    env.LORE_EMBED_MODEL &&
    env.LORE_EMBED_MODEL !== LOCAL_EMBED_MODEL
  ) {
    throw new ConfigError(
      `Invalid configuration: LORE_EMBED_MODEL=${JSON.stringify(env.LORE_EMBED_MODEL)}: the local embedder is "${LOCAL_EMBED_MODEL}"; set LORE_EMBED_PROVIDER=openai to use another model`,
    );
  }
  const config: Config = {
    mode,
    dataDir: path.resolve(overrides.dataDir ?? env.LORE_DATA_DIR ?? ".lore"),
    databasePoolSize: env.LORE_DB_POOL_SIZE ?? 10,
    databaseWaitSeconds: env.LORE_DB_WAIT_SECONDS ?? 60,
    port: overrides.port ?? env.PORT ?? 3000,
    host: overrides.host ?? env.HOST ?? (mode === "embedded" ? "127.0.0.1" : "0.0.0.0"),
    auth: env.LORE_AUTH ?? (mode === "embedded" ? "off" : "required"),
    embed: {
      provider: embedProvider,
      model:
        env.LORE_EMBED_MODEL ??
        (embedProvider === "local" ? LOCAL_EMBED_MODEL : DEFAULT_OPENAI_EMBED_MODEL),
      ...(env.LORE_EMBED_DIMENSIONS ? { dimensions: env.LORE_EMBED_DIMENSIONS } : {}),
      ...(env.LORE_EMBED_BATCH_SIZE ? { batchSize: env.LORE_EMBED_BATCH_SIZE } : {}),
      ...(env.LORE_EMBED_CONCURRENCY ? { concurrency: env.LORE_EMBED_CONCURRENCY } : {}),
      queryTimeoutMs: env.LORE_QUERY_EMBED_TIMEOUT_MS ?? 10_000,
    },
    chat: {
      provider: chatProvider,
      model: env.LORE_CHAT_MODEL ?? DEFAULT_OPENAI_CHAT_MODEL,
      ...(env.LORE_CHAT_TIMEOUT_MS === undefined ? {} : { timeoutMs: env.LORE_CHAT_TIMEOUT_MS }),
      ...(env.LORE_CHAT_RETRIES === undefined ? {} : { retries: env.LORE_CHAT_RETRIES }),
      ...(env.LORE_CHAT_DEADLINE_MS === undefined ? {} : { deadlineMs: env.LORE_CHAT_DEADLINE_MS }),
      ...(env.LORE_CHAT_SOURCE_TOKENS === undefined
        ? {}
        : { sourceTokens: env.LORE_CHAT_SOURCE_TOKENS }),
      ...(env.LORE_CHAT_TEMPERATURE === undefined
        ? {}
        : { temperature: env.LORE_CHAT_TEMPERATURE }),
      ...(env.LORE_CHAT_PRICES === undefined ? {} : { prices: env.LORE_CHAT_PRICES }),
    },
    openai: {
      ...(env.OPENAI_API_KEY ? { apiKey: env.OPENAI_API_KEY } : {}),
      ...(env.OPENAI_BASE_URL ? { baseUrl: env.OPENAI_BASE_URL } : {}),
    },
    logLevel: env.LORE_LOG_LEVEL ?? "info",
    loadSampleDocs: (env.LORE_SAMPLE_DOCS ?? "on") === "on",
    ingest: {
      // Embedded Lore listens on localhost for its owner, whose files it may read; a server reads none unless told.
      roots: env.LORE_INGEST_ROOTS ?? (mode === "embedded" ? [homedir()] : []),
      maxFileBytes: env.LORE_INGEST_MAX_FILE_BYTES ?? 10 * 1024 * 1024,
      include: globList(env.LORE_INGEST_INCLUDE),
      exclude: globList(env.LORE_INGEST_EXCLUDE),
    },
    worker: {
      concurrency: env.LORE_WORKER_CONCURRENCY ?? 1,
      leaseSeconds: env.LORE_WORKER_LEASE_SECONDS ?? 30,
    },
    queryRetentionDays: env.LORE_QUERY_RETENTION_DAYS ?? 90,
    corsOrigins: env.LORE_CORS_ORIGINS ?? [],
    allowedHosts: env.LORE_ALLOWED_HOSTS ?? [],
    collectionIngestRoots: collectionRoots(env.LORE_COLLECTION_INGEST_ROOTS ?? []),
    requestTimeoutMs: env.LORE_REQUEST_TIMEOUT_MS ?? 60_000,
    ...(env.LORE_CONVERSATION_TTL_MS === undefined
      ? {}
      : { conversationTtlMs: env.LORE_CONVERSATION_TTL_MS }),
    ...(env.LORE_HNSW_EF_SEARCH === undefined ? {} : { hnswEfSearch: env.LORE_HNSW_EF_SEARCH }),
    databasePreparedStatements: (env.LORE_DB_PREPARED_STATEMENTS ?? "on") === "on",
    vectorIndex: {
      ...(env.LORE_HNSW_M === undefined ? {} : { m: env.LORE_HNSW_M }),
      ...(env.LORE_HNSW_EF_CONSTRUCTION === undefined
        ? {}
        : { efConstruction: env.LORE_HNSW_EF_CONSTRUCTION }),
      ...(env.LORE_HNSW_BUILD_MEMORY_MB === undefined
        ? {}
        : { buildMemoryMb: env.LORE_HNSW_BUILD_MEMORY_MB }),
      ...(env.LORE_HNSW_BUILD_WORKERS === undefined
        ? {}
        : { buildWorkers: env.LORE_HNSW_BUILD_WORKERS }),
    },
    retrieval: retrievalConfig(env),
  };
  if (env.DATABASE_URL) config.databaseUrl = env.DATABASE_URL;
  return config;
}

function collectionRoots(entries: readonly string[]): Record<string, string[]> {
  const roots: Record<string, string[]> = {};
  for (const entry of entries) {
    const split = entry.indexOf("=");
    const collection = entry.slice(0, split);
    roots[collection] = [...(roots[collection] ?? []), entry.slice(split + 1)];
  }
  return roots;
}

function retrievalConfig(env: z.infer<typeof Environment>): Config["retrieval"] {
  if (env.LORE_RETRIEVAL_VECTOR_WEIGHT === 0 && env.LORE_RETRIEVAL_TEXT_WEIGHT === 0) {
    throw new ConfigError(
      "Invalid configuration: LORE_RETRIEVAL_TEXT_WEIGHT=0: one of LORE_RETRIEVAL_VECTOR_WEIGHT and LORE_RETRIEVAL_TEXT_WEIGHT must be above 0",
    );
  }
  const entries = {
    candidates: env.LORE_RETRIEVAL_CANDIDATES,
    rrfK: env.LORE_RETRIEVAL_RRF_K,
    vectorWeight: env.LORE_RETRIEVAL_VECTOR_WEIGHT,
    textWeight: env.LORE_RETRIEVAL_TEXT_WEIGHT,
    bm25K1: env.LORE_RETRIEVAL_BM25_K1,
    bm25B: env.LORE_RETRIEVAL_BM25_B,
  };
  return Object.fromEntries(
    Object.entries(entries).filter(([, value]) => value !== undefined),
  ) as Config["retrieval"];
}

function globList(value: string | undefined): string[] {
  return (value ?? "")
    .split(",")
    .map((glob) => glob.trim())
    .filter((glob) => glob !== "");
}
