// API key verbs: create (the secret is shown once), list, revoke, and authenticate in constant time.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { apiKeys, type LoreDb } from "@lore/db";
import { and, desc, eq, isNull } from "drizzle-orm";
import { z } from "zod";
import { CollectionName } from "../contract";
import { LoreError } from "../errors";
import { newId } from "../ids";

const INT4_MAX = 2_147_483_647;

export const SCOPES = ["ask", "search", "ingest", "admin"] as const;
export const Scope = z.enum(SCOPES);
export type Scope = z.infer<typeof Scope>;

export const CreateKeyRequest = z
  .object({
    name: z
      .string()
      .trim()
      .min(1)
      .max(100)
      .regex(/^[\w.@ -]+$/, "letters, digits, space, '.', '@', '-' or '_'"),
    scopes: z.array(Scope).min(1),
    /** Omitted: every collection. */
    collections: z.array(CollectionName).min(1).max(1000).optional(),
    rateLimitPerMinute: z.number().int().min(1).max(100_000).optional(),
    // The column is an int4.
    dailyTokenLimit: z.number().int().min(1).max(INT4_MAX).optional(),
  })
  .strict();
export type CreateKeyRequest = z.infer<typeof CreateKeyRequest>;

export const ApiKeyInfo = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string(),
  scopes: z.array(z.string()),
  collections: z.array(z.string()).nullable(),
  rateLimitPerMinute: z.number().int().nullable(),
  dailyTokenLimit: z.number().int().nullable(),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
});
export type ApiKeyInfo = z.infer<typeof ApiKeyInfo>;

/** Who is calling, once authenticated; never holds the secret. */
export interface Principal {
  keyId: string;
  name: string;
  scopes: readonly string[];
  collections: readonly string[] | null;
  rateLimitPerMinute: number | null;
  dailyTokenLimit: number | null;
}

const KEY_PREFIX = "lore_";
const LAST_USED_RESOLUTION_MS = 60_000;
// Enough of the key to find its row without revealing the secret (identifies ~72 random bits).
const LOOKUP_LENGTH = KEY_PREFIX.length + 12;

function hashKey(key: string): Buffer {
  return createHash("sha256").update(key).digest();
}

export async function createApiKey(
  db: LoreDb,
  request: CreateKeyRequest,
): Promise<{ key: string; info: ApiKeyInfo }> {
  const key = `${KEY_PREFIX}${randomBytes(32).toString("base64url")}`;
  const id = newId("key");
  const rows = await db
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
    })
    .onConflictDoNothing({ target: apiKeys.name })
    .returning();
  const row = rows[0];
  if (!row) throw new LoreError("conflict", `An API key named "${request.name}" already exists.`);
  return { key, info: toInfo(row) };
}

export async function listApiKeys(db: LoreDb): Promise<ApiKeyInfo[]> {
  const rows = await db.select().from(apiKeys).orderBy(desc(apiKeys.createdAt));
  return rows.map(toInfo);
}

/** Revokes by id or name; revoked keys stop working at once. */
export async function revokeApiKey(db: LoreDb, idOrName: string): Promise<ApiKeyInfo> {
  const column = idOrName.startsWith("key_") ? apiKeys.id : apiKeys.name;
  const [row] = await db
    .update(apiKeys)
    .set({ revokedAt: new Date() })
    .where(and(eq(column, idOrName), isNull(apiKeys.revokedAt)))
    .returning();
  if (!row) throw new LoreError("not_found", `No active API key "${idOrName}".`);
  return toInfo(row);
}

/** The principal for a presented key, or undefined; hashes are compared in constant time. */
export async function authenticate(db: LoreDb, presented: string): Promise<Principal | undefined> {
  if (!presented.startsWith(KEY_PREFIX) || presented.length < LOOKUP_LENGTH) return undefined;
  const candidates = await db
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.prefix, presented.slice(0, LOOKUP_LENGTH)), isNull(apiKeys.revokedAt)));
  const digest = hashKey(presented);
  const match = candidates.find((row) => timingSafeEqual(Buffer.from(row.hash, "hex"), digest));
  if (!match) return undefined;
  // Every request authenticates: write last_used_at at most once a minute, not on each one.
  const now = new Date();
  if (!match.lastUsedAt || now.getTime() - match.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
    await db.update(apiKeys).set({ lastUsedAt: now }).where(eq(apiKeys.id, match.id));
  }
  return {
    keyId: match.id,
    name: match.name,
    scopes: match.scopes,
    collections: match.collections,
    rateLimitPerMinute: match.rateLimitPerMinute,
    dailyTokenLimit: match.dailyTokenLimit,
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
    createdAt: row.createdAt.toISOString(),
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
    revokedAt: row.revokedAt?.toISOString() ?? null,
  };
}
