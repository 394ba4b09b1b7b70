// POST /v1/search: the best-matching chunks for a query, without an answer.
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { type LoreContext, SearchRequest, SearchResponse, search } from "@lore/core";
import { requireScope, useCollection } from "../access";
import type { AppEnv } from "../env";
import { Problem } from "../problem";
import { jsonBody, problems } from "./openapi-bodies";

const route = createRoute({
  method: "post",
  path: "/v1/search",
  summary: "Hybrid (vector + full-text) search over a collection",
  middleware: requireScope("search"),
  request: { body: jsonBody(SearchRequest) },
  responses: {
    200: {
      description: "Ranked chunks",
      content: { "application/json": { schema: SearchResponse } },
    },
    ...problems(Problem, [400, 401, 403, 404, 409, 413, 429, 503]),
  },
});

export function searchRoutes(context: LoreContext): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  app.openapi(route, async (c) => {
    const request = c.req.valid("json");
    useCollection(c, request.collection);
    return c.json(await search(context, request, { signal: c.req.raw.signal }), 200);
  });
  return app;
}
