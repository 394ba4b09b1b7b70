-- Conversations (issue 17): server-side follow-ups. Each belongs to the API key that made it
-- (null with auth off) and expires; its messages keep each answer's own citations.
CREATE TABLE "conversations" (
	"id" text PRIMARY KEY NOT NULL,
	"key_id" text REFERENCES "api_keys"("id") ON DELETE CASCADE,
	"collection" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE INDEX "conversations_expires_idx" ON "conversations" ("expires_at");
--> statement-breakpoint
CREATE TABLE "conversation_messages" (
	"conversation_id" text NOT NULL REFERENCES "conversations"("id") ON DELETE CASCADE,
	"position" integer NOT NULL,
	"role" text NOT NULL,
	"content" text NOT NULL,
	-- The question as searched, once rewritten to stand on its own (user turns).
	"standalone_question" text,
	-- The answer's query log row and its citations (assistant turns).
	"query_id" text,
	"citations" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	PRIMARY KEY ("conversation_id", "position"),
	CONSTRAINT "conversation_messages_role_check" CHECK ("role" IN ('user', 'assistant'))
);
--> statement-breakpoint
-- Publishable keys (the <lore-ask> widget): browsers from these origins get CORS for this key.
ALTER TABLE "api_keys" ADD COLUMN "allowed_origins" text[];
