// Parses and validates Lore's configuration; a bad value stops start-up with a message naming the variable.
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
  OPENAI_API_KEY: optionalString,
  OPENAI_BASE_URL: optionalString.pipe(z.url().optional()),
  LORE_LOG_LEVEL: optionalString.pipe(
    z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).optional(),
  ),
  LORE_SAMPLE_DOCS: optionalString.pipe(z.enum(["on", "off"]).optional()),
});

type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";

export interface Config {
  mode: "embedded" | "server";
  databaseUrl?: string;
  dataDir: string;
  port: number;
  host: string;
  auth: "off" | "required";
  embed: { provider: "local" | "openai"; model: string; dimensions?: number };
  chat: { provider: "extractive" | "openai"; model: string };
  openai: { apiKey?: string; baseUrl?: string };
  logLevel: LogLevel;
  /** Load fixtures/docs into the default collection when it is empty (embedded start only). */
  loadSampleDocs: boolean;
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
    port: overrides.port ?? env.PORT ?? 3000,
    host: overrides.host ?? env.HOST ?? (mode === "embedded" ? "127.0.0.1" : "0.0.0.0"),
    auth: env.LORE_AUTH ?? (mode === "embedded" ? "off" : "required"),
    embed: {
      provider: embedProvider,
      model:
        env.LORE_EMBED_MODEL ??
        (embedProvider === "local" ? LOCAL_EMBED_MODEL : DEFAULT_OPENAI_EMBED_MODEL),
      ...(env.LORE_EMBED_DIMENSIONS ? { dimensions: env.LORE_EMBED_DIMENSIONS } : {}),
    },
    chat: {
      provider: chatProvider,
      model: env.LORE_CHAT_MODEL ?? DEFAULT_OPENAI_CHAT_MODEL,
    },
    openai: {
      ...(env.OPENAI_API_KEY ? { apiKey: env.OPENAI_API_KEY } : {}),
      ...(env.OPENAI_BASE_URL ? { baseUrl: env.OPENAI_BASE_URL } : {}),
    },
    logLevel: env.LORE_LOG_LEVEL ?? "info",
    loadSampleDocs: (env.LORE_SAMPLE_DOCS ?? "on") === "on",
  };
  if (env.DATABASE_URL) config.databaseUrl = env.DATABASE_URL;
  return config;
}
