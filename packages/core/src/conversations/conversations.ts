// Conversation verbs: create, ask a follow-up (rewritten to stand on its own, answered with its own citations), get.
import { conversationMessages, conversations } from "@lore/db";
import { and, asc, eq, gt, isNull, lt, max } from "drizzle-orm";
import { type AskOptions, type PreparedAsk, prepareAsk } from "../answering/ask";
import type { AskRequest, HistoryMessage } from "../answering/schemas";
import { MAX_HISTORY_MESSAGES } from "../answering/schemas";
import type { Citation } from "../citations/schemas";
import { requireCollection } from "../collections/collections";
import type { LoreContext } from "../context";
import { LoreError } from "../errors";
import { newId } from "../ids";
import type {
  Conversation,
  ConversationMessage,
  ConversationMessageRequest,
  CreateConversationRequest,
} from "./schemas";

/** How long a conversation lives after its last message unless configured (LORE_CONVERSATION_TTL_MS). */
export const DEFAULT_CONVERSATION_TTL_MS = 24 * 60 * 60 * 1000;
/**
 * Without a chat model nothing can rewrite a follow-up, so it is searched together with the
 * questions before it: "and for a canary?" after "How do I roll back a deploy?" still finds
 * the rollback section. Only the last few, so an old topic does not outweigh the new one.
 */
const EXTRACTIVE_CONTEXT_QUESTIONS = 2;

/** Who is asking and how long the conversation lives; the key is null with auth off. */
export interface ConversationOwner {
  keyId: string | null;
  ttlMs?: number;
}

export async function createConversation(
  context: LoreContext,
  input: CreateConversationRequest & ConversationOwner,
): Promise<Conversation> {
  await requireCollection(context, input.collection);
  // Expired conversations are deleted as new ones are made: the index on expires_at keeps it cheap.
  await context.db.delete(conversations).where(lt(conversations.expiresAt, new Date()));
  const [row] = await context.db
    .insert(conversations)
    .values({
      id: newId("cnv"),
      keyId: input.keyId,
      collection: input.collection,
      expiresAt: expiry(input.ttlMs),
    })
    .returning();
  if (!row) throw new Error("The conversation was not created.");
  return toConversation(row, []);
}

/** The conversation with its messages; not_found for another key's, an expired or an unknown one. */
export async function getConversation(
  context: LoreContext,
  input: { id: string } & ConversationOwner,
): Promise<Conversation> {
  const row = await ownConversation(context, input);
  const messages = await context.db
    .select()
    .from(conversationMessages)
    .where(eq(conversationMessages.conversationId, row.id))
    .orderBy(asc(conversationMessages.position));
  return toConversation(row, messages);
}

/** A question in a conversation, ready to answer: the ask request it becomes and how to prepare it. */
export interface ConversationTurn {
  /** The ask request, with the conversation's history (for the token estimate and the rewrite). */
  request: AskRequest;
  /** Retrieves; its answer() answers, then stores the question and the answer with its citations. */
  prepare(options?: AskOptions): Promise<PreparedAsk>;
}

export async function addMessage(
  context: LoreContext,
  input: ConversationMessageRequest & { id: string } & ConversationOwner,
): Promise<ConversationTurn> {
  const conversation = await getConversation(context, input);
  const history: HistoryMessage[] = conversation.messages
    .filter((message) => message.content.trim() !== "")
    .slice(-MAX_HISTORY_MESSAGES)
    .map((message) => ({ role: message.role, content: message.content }));
  const askRequest: AskRequest = {
    question: input.question,
    collection: conversation.collection,
    ...(input.topK === undefined ? {} : { topK: input.topK }),
    ...(input.filters ? { filters: input.filters } : {}),
    ...(input.stream === undefined ? {} : { stream: input.stream }),
    ...(history.length > 0 ? { history } : {}),
  };
  const standaloneQuestion = context.chat
    ? null
    : withEarlierQuestions(conversation.messages, input.question);
  // Without a model the history cannot be used by the rewrite; the search carries it instead.
  const searched: AskRequest =
    standaloneQuestion === null
      ? askRequest
      : { ...askRequest, question: standaloneQuestion, history: [] };
  return {
    request: askRequest,
    prepare: async (options) => {
      const prepared = await prepareAsk(context, searched, options);
      return {
        answer: async (listener) => {
          const response = await prepared.answer(listener);
          await appendTurn(context, conversation.id, input.ttlMs, [
            { role: "user", content: input.question, standaloneQuestion },
            {
              role: "assistant",
              content: response.answer,
              queryId: response.queryId,
              citations: response.citations,
            },
          ]);
          return response;
        },
      };
    },
  };
}

/** The follow-up with the user's previous questions before it; null for a first question. */
function withEarlierQuestions(
  messages: readonly ConversationMessage[],
  question: string,
): string | null {
  const earlier = messages
    .filter((message) => message.role === "user")
    .slice(-EXTRACTIVE_CONTEXT_QUESTIONS)
    .map((message) => message.content);
  if (earlier.length === 0) return null;
  return [...earlier, question].join(" ");
}

interface NewMessage {
  role: "user" | "assistant";
  content: string;
  standaloneQuestion?: string | null;
  queryId?: string;
  citations?: Citation[];
}

/** Appends a question and its answer in one transaction, after the conversation's last message. */
async function appendTurn(
  context: LoreContext,
  conversationId: string,
  ttlMs: number | undefined,
  messages: readonly NewMessage[],
): Promise<void> {
  await context.db.transaction(async (transaction) => {
    // The row lock orders concurrent questions in one conversation instead of failing one of them.
    await transaction
      .update(conversations)
      .set({ updatedAt: new Date(), expiresAt: expiry(ttlMs) })
      .where(eq(conversations.id, conversationId));
    const [last] = await transaction
      .select({ position: max(conversationMessages.position) })
      .from(conversationMessages)
      .where(eq(conversationMessages.conversationId, conversationId));
    const start = (last?.position ?? -1) + 1;
    await transaction.insert(conversationMessages).values(
      messages.map((message, index) => ({
        conversationId,
        position: start + index,
        role: message.role,
        content: message.content,
        standaloneQuestion: message.standaloneQuestion ?? null,
        queryId: message.queryId ?? null,
        citations: message.citations ?? null,
      })),
    );
  });
}

type ConversationRow = typeof conversations.$inferSelect;
type MessageRow = typeof conversationMessages.$inferSelect;

async function ownConversation(
  context: LoreContext,
  input: { id: string } & ConversationOwner,
): Promise<ConversationRow> {
  const [row] = await context.db
    .select()
    .from(conversations)
    .where(
      and(
        eq(conversations.id, input.id),
        input.keyId === null ? isNull(conversations.keyId) : eq(conversations.keyId, input.keyId),
        gt(conversations.expiresAt, new Date()),
      ),
    );
  // Another key's conversation answers as one that does not exist: ids do not leak.
  if (!row) throw new LoreError("not_found", `No conversation "${input.id}".`);
  return row;
}

function expiry(ttlMs: number | undefined): Date {
  return new Date(Date.now() + (ttlMs ?? DEFAULT_CONVERSATION_TTL_MS));
}

function toConversation(row: ConversationRow, messages: readonly MessageRow[]): Conversation {
  return {
    id: row.id,
    collection: row.collection,
    createdAt: row.createdAt.toISOString(),
    expiresAt: row.expiresAt.toISOString(),
    messages: messages.map((message) => ({
      role: message.role,
      content: message.content,
      standaloneQuestion: message.standaloneQuestion,
      queryId: message.queryId,
      citations: (message.citations as Citation[] | null) ?? null,
      createdAt: message.createdAt.toISOString(),
    })),
  };
}
