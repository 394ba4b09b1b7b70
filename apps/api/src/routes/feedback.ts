// POST /v1/feedback: thumbs up or down on an answer, by its queryId.
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { FeedbackRequest, FeedbackResponse, type LoreContext, recordFeedback } from "@lore/core";
import { requireScope, visibleCollections } from "../access";
import type { AppEnv } from "../env";
import { Problem } from "../problem";
import { jsonBody, problems } from "./openapi-bodies";

const route = createRoute({
  method: "post",
  path: "/v1/feedback",
  summary: "Rate an answer",
  middleware: requireScope("ask"),
  request: { body: jsonBody(FeedbackRequest) },
  responses: {
    201: { description: "Recorded", content: { "application/json": { schema: FeedbackResponse } } },
    ...problems(Problem, [400, 401, 403, 404]),
  },
});

export function feedbackRoutes(context: LoreContext): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  app.openapi(route, async (c) => {
    const result = await recordFeedback(
      context,
      c.req.valid("json"),
      c.get("principal")?.keyId ?? null,
      // Answers from collections the key may not use are "not found", like unknown ids.
      visibleCollections(c),
    );
    return c.json(result, 201);
  });
  return app;
}
