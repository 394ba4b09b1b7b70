// Schemas of the conversation verbs: starting one, asking within it, and what is shown of it.
import { z } from "zod";
import { AskRequest } from "../answering/schemas";
import { Citation } from "../citations/schemas";
import { CollectionName } from "../collections/schemas";

export const CreateConversationRequest = z
  .object({ collection: CollectionName.default("default") })
  .strict();
export type CreateConversationRequest = z.infer<typeof CreateConversationRequest>;

/** A question in a conversation: what /v1/ask takes, less the collection and history it already has. */
export const ConversationMessageRequest = AskRequest.pick({
  question: true,
  topK: true,
  filters: true,
  stream: true,
}).strict();
export type ConversationMessageRequest = z.infer<typeof ConversationMessageRequest>;

export const ConversationMessage = z.object({
  role: z.enum(["user", "assistant"]),
  content: z.string(),
  /** A follow-up question as it was searched, rewritten to stand on its own (user turns). */
  standaloneQuestion: z.string().nullable(),
  /** The answer's id in the query log, for feedback (assistant turns). */
  queryId: z.string().nullable(),
  /** The answer's own citations; its [n] markers refer to these (assistant turns). */
  citations: z.array(Citation).nullable(),
  createdAt: z.string(),
});
export type ConversationMessage = z.infer<typeof ConversationMessage>;

export const Conversation = z.object({
  id: z.string(),
  collection: z.string(),
  createdAt: z.string(),
  expiresAt: z.string(),
  messages: z.array(ConversationMessage),
});
export type Conversation = z.infer<typeof Conversation>;

export const ConversationId = z.string().regex(/^cnv_[\w-]{16}$/, "a conversation id (cnv_…)");
