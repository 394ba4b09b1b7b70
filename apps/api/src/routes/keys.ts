// /v1/keys: API key management for admin keys (the CLI's `lore keys` does the same locally).
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import {
  ApiKeyInfo,
  CreateKeyRequest,
  createApiKey,
  type LoreContext,
  listApiKeys,
  revokeApiKey,
} from "@lore/core";
import { z } from "zod";
import { requireScope } from "../access";
import type { AppEnv } from "../env";
import { Problem } from "../problem";
import { jsonBody, problems } from "./openapi-bodies";

const CreatedKey = z.object({ key: z.string(), info: ApiKeyInfo });
const KeyList = z.object({ keys: z.array(ApiKeyInfo) });

const create = createRoute({
  method: "post",
  path: "/v1/keys",
  summary: "Create an API key (the key is shown once)",
  middleware: requireScope("admin"),
  request: { body: jsonBody(CreateKeyRequest) },
  responses: {
    201: { description: "Created", content: { "application/json": { schema: CreatedKey } } },
    ...problems(Problem, [400, 401, 403, 409]),
  },
});

const list = createRoute({
  method: "get",
  path: "/v1/keys",
  summary: "List API keys (never their secrets)",
  middleware: requireScope("admin"),
  responses: {
    200: { description: "Keys", content: { "application/json": { schema: KeyList } } },
    ...problems(Problem, [401, 403]),
  },
});

const revoke = createRoute({
  method: "delete",
  path: "/v1/keys/{id}",
  summary: "Revoke an API key",
  middleware: requireScope("admin"),
  request: { params: z.object({ id: z.string().min(1).max(100) }) },
  responses: {
    200: { description: "Revoked", content: { "application/json": { schema: ApiKeyInfo } } },
    ...problems(Problem, [401, 403, 404]),
  },
});

export function keyRoutes(context: LoreContext): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  app.openapi(create, async (c) => c.json(await createApiKey(context, c.req.valid("json")), 201));
  app.openapi(list, async (c) => c.json({ keys: await listApiKeys(context) }, 200));
  app.openapi(revoke, async (c) =>
    c.json(await revokeApiKey(context, c.req.valid("param").id), 200),
  );
  return app;
}
