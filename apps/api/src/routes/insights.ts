// /v1/insights: documentation gaps (with question text) and usage over time, for keys with the insights scope.
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import {
  GapsRequest,
  GapsResponse,
  insightsUsage,
  type LoreContext,
  listGaps,
  ResolveGapRequest,
  ResolveGapResponse,
  resolveGap,
  UsageRequest,
  UsageResponse,
} from "@lore/core";
import { requireScope, useCollection, visibleCollections } from "../access";
import type { AppEnv } from "../env";
import { Problem } from "../problem";
import { jsonBody, problems } from "./openapi-bodies";

// Question text is the most private thing Lore stores: only `insights` (or `admin`) keys read it.
const gaps = createRoute({
  method: "get",
  path: "/v1/insights/gaps",
  summary: "Questions the documents fail to answer, grouped by meaning, most asked first",
  middleware: requireScope("insights"),
  request: { query: GapsRequest },
  responses: {
    200: { description: "Gaps", content: { "application/json": { schema: GapsResponse } } },
    ...problems(Problem, [400, 401, 403, 429]),
  },
});

const resolve = createRoute({
  method: "post",
  path: "/v1/insights/gaps/resolve",
  summary: "Mark a gap resolved; it reopens if it is refused again after a later ingest",
  middleware: requireScope("insights"),
  request: { body: jsonBody(ResolveGapRequest) },
  responses: {
    201: {
      description: "Resolved",
      content: { "application/json": { schema: ResolveGapResponse } },
    },
    ...problems(Problem, [400, 401, 403, 404, 429]),
  },
});

const usage = createRoute({
  method: "get",
  path: "/v1/insights/usage",
  summary: "Questions, outcomes, votes, latency, tokens and cost per day, collection and key",
  middleware: requireScope("insights"),
  request: { query: UsageRequest },
  responses: {
    200: { description: "Usage", content: { "application/json": { schema: UsageResponse } } },
    ...problems(Problem, [400, 401, 403, 429]),
  },
});

export function insightsRoutes(context: LoreContext): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  app.openapi(gaps, async (c) => {
    const request = c.req.valid("query");
    useCollection(c, request.collection);
    return c.json(await listGaps(context, request), 200);
  });
  app.openapi(resolve, async (c) => {
    const request = c.req.valid("json");
    useCollection(c, request.collection);
    const keyId = c.get("principal")?.keyId ?? null;
    return c.json(await resolveGap(context, { ...request, keyId }), 201);
  });
  app.openapi(usage, async (c) => {
    const request = c.req.valid("query");
    if (request.collection) useCollection(c, request.collection);
    return c.json(await insightsUsage(context, request, visibleCollections(c)), 200);
  });
  return app;
}
