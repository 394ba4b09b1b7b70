// Conversations: POST /v1/conversations, POST /v1/conversations/:id/messages (answers like /v1/ask), GET /v1/conversations/:id.
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import {
  AskResponse,
  addMessage,
  Conversation,
  ConversationId,
  ConversationMessageRequest,
  CreateConversationRequest,
  createConversation,
  getConversation,
  type LoreContext,
} from "@lore/core";
import { z } from "zod";
import { requireScope, useCollection } from "../access";
import type { AppEnv } from "../env";
import { Problem } from "../problem";
import { answerResponse, STREAM_DESCRIPTION } from "./answer-response";
import { jsonBody, problems } from "./openapi-bodies";

export interface ConversationRouteOptions {
  /** How long a conversation lives after its last message (LORE_CONVERSATION_TTL_MS). */
  ttlMs?: number | undefined;
}

const params = z.object({ id: ConversationId });

const createRouteDefinition = createRoute({
  method: "post",
  path: "/v1/conversations",
  summary: "Start a conversation in a collection; follow-ups are asked with its id",
  middleware: requireScope("ask"),
  request: { body: jsonBody(CreateConversationRequest) },
  responses: {
    201: {
      description: "The new, empty conversation",
      content: { "application/json": { schema: Conversation } },
    },
    ...problems(Problem, [400, 401, 403, 404, 429]),
  },
});

const messageRoute = createRoute({
  method: "post",
  path: "/v1/conversations/{id}/messages",
  summary: "Ask in a conversation: a follow-up is rewritten to stand on its own, then answered",
  description: STREAM_DESCRIPTION,
  middleware: requireScope("ask"),
  request: { params, body: jsonBody(ConversationMessageRequest) },
  responses: {
    200: {
      description: "The answer, with its own citations",
      content: {
        "application/json": { schema: AskResponse },
        "text/event-stream": { schema: z.string() },
      },
    },
    ...problems(Problem, [400, 401, 403, 404, 409, 413, 429, 503]),
  },
});

const getRouteDefinition = createRoute({
  method: "get",
  path: "/v1/conversations/{id}",
  summary: "A conversation's messages, each answer with its citations",
  middleware: requireScope("ask"),
  request: { params },
  responses: {
    200: {
      description: "The conversation",
      content: { "application/json": { schema: Conversation } },
    },
    ...problems(Problem, [400, 401, 403, 404, 429]),
  },
});

export function conversationRoutes(
  context: LoreContext,
  options: ConversationRouteOptions = {},
): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  const owner = (keyId: string | undefined) => ({
    keyId: keyId ?? null,
    ...(options.ttlMs === undefined ? {} : { ttlMs: options.ttlMs }),
  });
  app.openapi(createRouteDefinition, async (c) => {
    const request = c.req.valid("json");
    useCollection(c, request.collection);
    const conversation = await createConversation(context, {
      ...request,
      ...owner(c.get("principal")?.keyId),
    });
    return c.json(conversation, 201);
  });
  app.openapi(messageRoute, async (c) => {
    const { id } = c.req.valid("param");
    const request = c.req.valid("json");
    const turn = await addMessage(context, { ...request, id, ...owner(c.get("principal")?.keyId) });
    // The key may have lost the collection since it started the conversation.
    useCollection(c, turn.request.collection);
    // JSON or an event stream: a plain Response, which the typed route responses cannot name.
    return answerResponse(c, context, turn.request, turn.prepare) as never;
  });
  app.openapi(getRouteDefinition, async (c) => {
    const { id } = c.req.valid("param");
    return c.json(await getConversation(context, { id, ...owner(c.get("principal")?.keyId) }), 200);
  });
  return app;
}
