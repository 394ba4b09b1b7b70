// Conversations and their messages: follow-up questions kept server-side, owned by an API key, expiring.
import { index, integer, jsonb, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";
import { apiKeys } from "./api-keys";

export const conversations = pgTable(
  "conversations",
  {
    id: text("id").primaryKey(),
    /** The key that made it, the only one that may read or continue it; null with auth off. */
    keyId: text("key_id").references(() => apiKeys.id, { onDelete: "cascade" }),
    collection: text("collection").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
  },
  (table) => [index("conversations_expires_idx").on(table.expiresAt)],
);

export const conversationMessages = pgTable(
  "conversation_messages",
  {
    conversationId: text("conversation_id")
      .notNull()
      .references(() => conversations.id, { onDelete: "cascade" }),
    position: integer("position").notNull(),
    role: text("role").$type<"user" | "assistant">().notNull(),
    content: text("content").notNull(),
    /** The question as searched, rewritten to stand on its own (user turns). */
    standaloneQuestion: text("standalone_question"),
    queryId: text("query_id"),
    citations: jsonb("citations").$type<unknown[]>(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [primaryKey({ columns: [table.conversationId, table.position] })],
);
