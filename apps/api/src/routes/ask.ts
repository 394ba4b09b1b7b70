// POST /v1/ask: answer a question with cited sources.
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { AskRequest, AskResponse, ask, type LoreContext } from "@lore/core";
import type { AppEnv } from "../env";
import { Problem } from "../problem";
import { jsonBody, problems } from "./shared";

const route = createRoute({
  method: "post",
  path: "/v1/ask",
  summary: "Answer a question from the collection's documents, with citations",
  request: { body: jsonBody(AskRequest) },
  responses: {
    200: { description: "The answer", content: { "application/json": { schema: AskResponse } } },
    ...problems(Problem, [400, 404, 409, 413, 503]),
  },
});

export function askRoutes(context: LoreContext): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  app.openapi(route, async (c) => c.json(await ask(context, c.req.valid("json")), 200));
  return app;
}
