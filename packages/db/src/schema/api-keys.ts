// API keys: only a hash is stored; scopes, allowed collections and limits per key.
import { integer, pgTable, text, timestamp } from "drizzle-orm/pg-core";

export const apiKeys = pgTable("api_keys", {
  id: text("id").primaryKey(),
  name: text("name").notNull().unique(),
  /** SHA-256 of the secret key, hex. */
  hash: text("hash").notNull().unique(),
  /** The first characters of the key, to recognise it in listings. */
  prefix: text("prefix").notNull(),
  scopes: text("scopes").array().notNull(),
  /** Null: every collection. */
  collections: text("collections").array(),
  rateLimitPerMinute: integer("rate_limit_per_minute"),
  dailyTokenLimit: integer("daily_token_limit"),
  /** Publishable keys (the widget): browser origins that get CORS for this key; null: none. */
  allowedOrigins: text("allowed_origins").array(),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
  revokedAt: timestamp("revoked_at", { withTimezone: true }),
});
