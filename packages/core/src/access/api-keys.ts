// API key verbs: create (the secret is shown once), list, revoke, and authenticate in constant time.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { apiKeys } from "@lore/db";
import { and, desc, eq, isNull } from "drizzle-orm";
import type { LoreContext } from "../context";
import { LoreError } from "../errors";
import { newId } from "../ids";
import type { ApiKeyInfo, CreateKeyRequest, Scope } from "./schemas";

/** Who is calling, once authenticated; never holds the secret. */
export interface Principal {
  keyId: string;
  name: string;
  scopes: readonly string[];
  collections: readonly string[] | null;
  rateLimitPerMinute: number | null;
  dailyTokenLimit: number | null;
  /** A publishable key's browser origins (CORS); null: not for browsers on other origins. */
  allowedOrigins?: readonly string[] | null;
}

const KEY_PREFIX = "lore_";
const LAST_USED_RESOLUTION_MS = 60_000;
// Enough of the key to find its row without revealing the secret (identifies ~72 random bits).
const LOOKUP_LENGTH = KEY_PREFIX.length + 12;

function hashKey(key: string): Buffer {
  return createHash("sha256").update(key).digest();
}

export async function createApiKey(
  context: Pick<LoreContext, "db">,
  request: CreateKeyRequest,
): Promise<{ key: string; info: ApiKeyInfo }> {
  const key = `${KEY_PREFIX}${randomBytes(32).toString("base64url")}`;
  const id = newId("key");
  const rows = await context.db
    .insert(apiKeys)
    .values({
      id,
      name: request.name,
      hash: hashKey(key).toString("hex"),
      prefix: key.slice(0, LOOKUP_LENGTH),
      scopes: [...new Set(request.scopes)],
      collections: request.collections ? [...new Set(request.collections)] : null,
      rateLimitPerMinute: request.rateLimitPerMinute ?? null,
      dailyTokenLimit: request.dailyTokenLimit ?? null,
      allowedOrigins: request.allowedOrigins ? [...new Set(request.allowedOrigins)] : null,
    })
    .onConflictDoNothing({ target: apiKeys.name })
    .returning();
  const row = rows[0];
  if (!row) throw new LoreError("conflict", `An API key named "${request.name}" already exists.`);
  return { key, info: toInfo(row) };
}

export async function listApiKeys(context: Pick<LoreContext, "db">): Promise<ApiKeyInfo[]> {
  const rows = await context.db.select().from(apiKeys).orderBy(desc(apiKeys.createdAt));
  return rows.map(toInfo);
}

/** Revokes by id or name; revoked keys stop working at once. */
export async function revokeApiKey(
  context: Pick<LoreContext, "db">,
  idOrName: string,
): Promise<ApiKeyInfo> {
  const column = idOrName.startsWith("key_") ? apiKeys.id : apiKeys.name;
  const [row] = await context.db
    .update(apiKeys)
    .set({ revokedAt: new Date() })
    .where(and(eq(column, idOrName), isNull(apiKeys.revokedAt)))
    .returning();
  if (!row) throw new LoreError("not_found", `No active API key "${idOrName}".`);
  return toInfo(row);
}

/** The principal for a presented key, or undefined; hashes are compared in constant time. */
export async function authenticate(
  context: Pick<LoreContext, "db">,
  presented: string,
): Promise<Principal | undefined> {
  if (!presented.startsWith(KEY_PREFIX) || presented.length < LOOKUP_LENGTH) return undefined;
  const candidates = await context.db
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.prefix, presented.slice(0, LOOKUP_LENGTH)), isNull(apiKeys.revokedAt)));
  const digest = hashKey(presented);
  const match = candidates.find((row) => timingSafeEqual(Buffer.from(row.hash, "hex"), digest));
  if (!match) return undefined;
  // Every request authenticates: write last_used_at at most once a minute, not on each one.
  const now = new Date();
  if (!match.lastUsedAt || now.getTime() - match.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
    await context.db.update(apiKeys).set({ lastUsedAt: now }).where(eq(apiKeys.id, match.id));
  }
  return {
    keyId: match.id,
    name: match.name,
    scopes: match.scopes,
    collections: match.collections,
    rateLimitPerMinute: match.rateLimitPerMinute,
    dailyTokenLimit: match.dailyTokenLimit,
    allowedOrigins: match.allowedOrigins,
  };
}

/** Throws forbidden unless the principal holds the scope (admin holds all) and the collection. */
export function authorize(principal: Principal, scope: Scope, collection?: string): void {
  if (!principal.scopes.includes(scope) && !principal.scopes.includes("admin")) {
    throw new LoreError("forbidden", `This API key lacks the "${scope}" scope.`);
  }
  if (
    collection !== undefined &&
    principal.collections &&
    !principal.collections.includes(collection)
  ) {
    throw new LoreError("forbidden", `This API key may not use collection "${collection}".`);
  }
}

type ApiKeyRow = typeof apiKeys.$inferSelect;

function toInfo(row: ApiKeyRow): ApiKeyInfo {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    scopes: row.scopes,
    collections: row.collections,
    rateLimitPerMinute: row.rateLimitPerMinute,
    dailyTokenLimit: row.dailyTokenLimit,
    allowedOrigins: row.allowedOrigins,
    createdAt: row.createdAt.toISOString(),
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
    revokedAt: row.revokedAt?.toISOString() ?? null,
  };
}
