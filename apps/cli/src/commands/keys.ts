// `lore keys create|list|revoke`: manage API keys directly in the database.
import { CreateKeyRequest, createApiKey, listApiKeys, revokeApiKey } from "@lore/core";
import type { Command } from "commander";
import { parseInput } from "../command-input";
import { withDatabase } from "../database";
import { printJson } from "../output";

export interface CreateKeyOptions {
  name: string;
  scopes: string[];
  collections?: string[];
  rate?: number;
  dailyTokens?: number;
  allowedOrigins?: string[];
  json?: boolean;
}

export async function runKeysCreate(options: CreateKeyOptions, command: Command): Promise<void> {
  const request = parseInput(CreateKeyRequest, {
    name: options.name,
    scopes: options.scopes,
    ...(options.collections ? { collections: options.collections } : {}),
    ...(options.rate ? { rateLimitPerMinute: options.rate } : {}),
    ...(options.dailyTokens ? { dailyTokenLimit: options.dailyTokens } : {}),
    ...(options.allowedOrigins ? { allowedOrigins: options.allowedOrigins } : {}),
  });
  await withDatabase(command, async (database) => {
    const created = await createApiKey({ db: database.db }, request);
    if (options.json) {
      printJson(created);
      return;
    }
    process.stdout.write(
      `${created.key}\n\nThis is the only time the key is shown. Send it as "Authorization: Bearer <key>".\n`,
    );
  });
}

export async function runKeysList(options: { json?: boolean }, command: Command): Promise<void> {
  await withDatabase(command, async (database) => {
    const rows = await listApiKeys({ db: database.db });
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
}

export async function runKeysRevoke(
  idOrName: string,
  _options: unknown,
  command: Command,
): Promise<void> {
  await withDatabase(command, async (database) => {
    const revoked = await revokeApiKey({ db: database.db }, idOrName);
    process.stdout.write(`Revoked ${revoked.name} (${revoked.id}).\n`);
  });
}
