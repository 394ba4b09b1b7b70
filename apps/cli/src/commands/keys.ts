// `lore keys create|list|revoke`: manage API keys directly in the database.
import { CreateKeyRequest, createApiKey, listApiKeys, revokeApiKey } from "@lore/core";
import { type Command, InvalidArgumentError } from "commander";
import { printJson } from "../output";
import { integer, parseInput, withRuntime } from "../shared";

const list = (value: string): string[] =>
  value
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");

/** "60/min", "1/s", "3600/h" → requests per minute. */
function ratePerMinute(value: string): number {
  const match = /^(\d+)\s*\/\s*(s|sec|second|m|min|minute|h|hour)$/.exec(value.trim());
  if (!match?.[1] || !match[2]) {
    throw new InvalidArgumentError('--rate looks like "60/min", "2/s" or "1000/h".');
  }
  const count = Number(match[1]);
  const unit = match[2][0];
  const perMinute = unit === "s" ? count * 60 : unit === "h" ? count / 60 : count;
  if (perMinute < 1)
    throw new InvalidArgumentError("--rate must allow at least 1 request a minute.");
  return Math.floor(perMinute);
}

export function registerKeys(program: Command): void {
  const keys = program.command("keys").description("manage API keys");

  keys
    .command("create")
    .description("create a key; it is printed once and only its hash is stored")
    .requiredOption("--name <name>", "a unique name (shown in logs and stats)")
    .requiredOption("--scopes <list>", "comma-separated: ask,search,ingest,admin", list)
    .option("--collections <list>", "comma-separated collections (default: all)", list)
    .option("--rate <rate>", 'request rate limit, e.g. "60/min"', ratePerMinute)
    .option("--daily-tokens <n>", "daily LLM token quota", integer("--daily-tokens", 1, 1e12))
    .option("--json", "print JSON")
    .action(
      async (
        options: {
          name: string;
          scopes: string[];
          collections?: string[];
          rate?: number;
          dailyTokens?: number;
          json?: boolean;
        },
        command: Command,
      ) => {
        const request = parseInput(CreateKeyRequest, {
          name: options.name,
          scopes: options.scopes,
          ...(options.collections ? { collections: options.collections } : {}),
          ...(options.rate ? { rateLimitPerMinute: options.rate } : {}),
          ...(options.dailyTokens ? { dailyTokenLimit: options.dailyTokens } : {}),
        });
        await withRuntime(command, async (runtime) => {
          const created = await createApiKey(runtime.context.db, request);
          if (options.json) {
            printJson(created);
            return;
          }
          process.stdout.write(
            `${created.key}\n\nThis is the only time the key is shown. Send it as "Authorization: Bearer <key>".\n`,
          );
        });
      },
    );

  keys
    .command("list")
    .description("list keys (never their secrets)")
    .option("--json", "print JSON")
    .action(async (options: { json?: boolean }, command: Command) => {
      await withRuntime(command, async (runtime) => {
        const rows = await listApiKeys(runtime.context.db);
        if (options.json) {
          printJson({ keys: rows });
          return;
        }
        for (const row of rows) {
          const state = row.revokedAt ? `revoked ${row.revokedAt}` : "active";
          process.stdout.write(
            `${row.id}  ${row.name}  ${row.prefix}…  scopes=${row.scopes.join(",")}  collections=${row.collections?.join(",") ?? "*"}  rate=${row.rateLimitPerMinute ?? "-"}/min  ${state}\n`,
          );
        }
      });
    });

  keys
    .command("revoke <idOrName>")
    .description("revoke a key by id or name")
    .action(async (idOrName: string, _options: unknown, command: Command) => {
      await withRuntime(command, async (runtime) => {
        const revoked = await revokeApiKey(runtime.context.db, idOrName);
        process.stdout.write(`Revoked ${revoked.name} (${revoked.id}).\n`);
      });
    });
}
