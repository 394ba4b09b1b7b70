// API key verbs: create (the secret is shown once), list, revoke, and authenticate in constant time.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { apiKeys, rateLimits } from "@lore/db";
import { and, desc, eq, isNull, sql } from "drizzle-orm";
import { cacheKey } from "../caches";
import { contextCaches, type LoreContext } from "../context";
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
  /**
   * The key's daily token counter as authentication read it (same statement, so up to
   * AUTHENTICATED_KEY_TTL_MS old), when it has one for the current UTC day: an answer that needs
   * no tokens is checked against it without another round trip (reserveTokens).
   */
  tokensToday?: { dayStart: number; used: number };
}

/** The UTC day holding `now`, where daily token quotas are counted. */
export function utcDayStart(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
}

const KEY_PREFIX = "lore_";
const LAST_USED_RESOLUTION_MS = 60_000;
// Enough of the key to find its row without revealing the secret (identifies ~72 random bits).
const LOOKUP_LENGTH = KEY_PREFIX.length + 12;

/**
 * How long a process answers for a key it has authenticated without reading its row again (a
 * round trip per request saved). Revoking a key tells every process to forget the keys it knows
 * at once (KEYS_CHANGED_CHANNEL, which `lore serve` listens on); this bounds how late one that
 * missed the notification (behind a transaction pooler, or while its connection was down) still
 * accepts a revoked key.
 */
export const AUTHENTICATED_KEY_TTL_MS = 5_000;
/** NOTIFY channel of key revocations. */
export const KEYS_CHANGED_CHANNEL = "lore_api_keys";

interface KnownKey {
  principal: Principal;
  expires: number;
}

/** Keys this context has authenticated lately, by the SHA-256 of the secret (never the secret). */
const KNOWN_KEYS = cacheKey<Map<string, KnownKey>>("authenticated keys");

function knownKeys(context: Pick<LoreContext, "caches">): Map<string, KnownKey> {
  return contextCaches(context).get(KNOWN_KEYS, () => new Map());
}

/** Forgets every key this context has authenticated: the next request of each reads its row. */
export function forgetAuthenticatedKeys(context: Pick<LoreContext, "caches">): void {
  knownKeys(context).clear();
}

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

/**
 * Revokes by id or name. The key stops working at once in this process and in every process
 * listening on KEYS_CHANGED_CHANNEL; others within AUTHENTICATED_KEY_TTL_MS.
 */
export async function revokeApiKey(
  context: Pick<LoreContext, "db" | "caches">,
  idOrName: string,
): Promise<ApiKeyInfo> {
  const column = idOrName.startsWith("key_") ? apiKeys.id : apiKeys.name;
  const [row] = await context.db
    .update(apiKeys)
    .set({ revokedAt: new Date() })
    .where(and(eq(column, idOrName), isNull(apiKeys.revokedAt)))
    .returning();
  if (!row) throw new LoreError("not_found", `No active API key "${idOrName}".`);
  forgetAuthenticatedKeys(context);
  await context.db.execute(sql`SELECT pg_notify(${KEYS_CHANGED_CHANNEL}, '')`);
  return toInfo(row);
}

/**
 * The principal for a presented key, or undefined; hashes are compared in constant time. A key
 * authenticated in the last AUTHENTICATED_KEY_TTL_MS is answered from memory (wrong keys never
 * are: each is looked up, and counted by the caller).
 */
export async function authenticate(
  context: Pick<LoreContext, "db" | "caches">,
  presented: string,
  now: Date = new Date(),
): Promise<Principal | undefined> {
  if (!presented.startsWith(KEY_PREFIX) || presented.length < LOOKUP_LENGTH) return undefined;
  const digest = hashKey(presented);
  const known = knownKeys(context);
  const remembered = known.get(digest.toString("hex"));
  if (remembered && remembered.expires > now.getTime()) return remembered.principal;
  const principal = await lookUpKey(context, presented, digest, now);
  if (principal) {
    if (known.size >= 10_000) known.clear();
    known.set(digest.toString("hex"), {
      principal,
      expires: now.getTime() + AUTHENTICATED_KEY_TTL_MS,
    });
  }
  return principal;
}

async function lookUpKey(
  context: Pick<LoreContext, "db">,
  presented: string,
  digest: Buffer,
  now: Date,
): Promise<Principal | undefined> {
  const dayStart = utcDayStart(now);
  // The day's token counter comes along (a primary-key look-up), so an answer that spends no
  // tokens needs no second round trip to check the quota.
  const candidates = await context.db
    .select({ key: apiKeys, tokensToday: rateLimits.count })
    .from(apiKeys)
    .leftJoin(
      rateLimits,
      and(
        eq(rateLimits.bucket, sql`'tokens:' || ${apiKeys.id}`),
        eq(rateLimits.windowStart, dayStart),
      ),
    )
    .where(and(eq(apiKeys.prefix, presented.slice(0, LOOKUP_LENGTH)), isNull(apiKeys.revokedAt)));
  const found = candidates.find((row) => timingSafeEqual(Buffer.from(row.key.hash, "hex"), digest));
  if (!found) return undefined;
  const match = found.key;
  // Every request authenticates: write last_used_at at most once a minute, not on each one.
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
    ...(found.tokensToday === null
      ? {}
      : { tokensToday: { dayStart: dayStart.getTime(), used: found.tokensToday } }),
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
