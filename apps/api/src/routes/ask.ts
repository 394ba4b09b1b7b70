// POST /v1/ask: answer a question with cited sources, as JSON or as a server-sent event stream.
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { AskRequest, AskResponse, type LoreContext, prepareAsk } from "@lore/core";
import { z } from "zod";
import { requireScope, useCollection } from "../access";
import type { AppEnv } from "../env";
import { Problem } from "../problem";
import { answerResponse, STREAM_DESCRIPTION } from "./answer-response";
import { jsonBody, problems } from "./openapi-bodies";

const route = createRoute({
  method: "post",
  path: "/v1/ask",
  summary: "Answer a question from the collection's documents, with citations",
  description: STREAM_DESCRIPTION,
  middleware: requireScope("ask"),
  request: { body: jsonBody(AskRequest) },
  responses: {
    200: {
      description: "The answer",
      content: {
        "application/json": { schema: AskResponse },
        "text/event-stream": { schema: z.string() },
      },
    },
    ...problems(Problem, [400, 401, 403, 404, 409, 413, 429, 503]),
  },
});

export function askRoutes(context: LoreContext): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  app.openapi(route, async (c) => {
    const request = c.req.valid("json");
    useCollection(c, request.collection);
    // JSON or an event stream: a plain Response, which the typed route responses cannot name.
    return answerResponse(c, context, request, (options) =>
      prepareAsk(context, request, options),
    ) as never;
  });
  return app;
}
