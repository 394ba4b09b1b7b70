// PUT/DELETE /v1/collections/:name/documents: push or remove one document from another system.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import {
  DeleteDocumentResponse,
  deleteDocument,
  type LoreContext,
  PutDocumentRequest,
  PutDocumentResponse,
  putDocument,
} from "@lore/core";
import type { AppEnv } from "../env";
import { Problem } from "../problem";
import { jsonBody, problems } from "./shared";

const CollectionParam = z.object({
  name: z
    .string()
    .min(1)
    .max(63)
    .regex(/^[a-z0-9][a-z0-9_-]*$/, 'lowercase letters, digits, "-" or "_"'),
});

const putRoute = createRoute({
  method: "put",
  path: "/v1/collections/{name}/documents",
  summary: "Upsert one document by source: unchanged content writes nothing",
  request: { params: CollectionParam, body: jsonBody(PutDocumentRequest) },
  responses: {
    200: {
      description: "Written (or unchanged)",
      content: { "application/json": { schema: PutDocumentResponse } },
    },
    ...problems(Problem, [400, 409, 413, 503]),
  },
});

const deleteRoute = createRoute({
  method: "delete",
  path: "/v1/collections/{name}/documents",
  summary: "Delete one document, with its chunks, by source",
  request: {
    params: CollectionParam,
    query: z.object({ source: z.string().min(1).max(1024) }),
  },
  responses: {
    200: {
      description: "Deleted",
      content: { "application/json": { schema: DeleteDocumentResponse } },
    },
    ...problems(Problem, [400, 404, 409]),
  },
});

export function documentRoutes(context: LoreContext): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  app.openapi(putRoute, async (c) =>
    c.json(await putDocument(context, c.req.valid("param").name, c.req.valid("json")), 200),
  );
  app.openapi(deleteRoute, async (c) =>
    c.json(
      await deleteDocument(context, c.req.valid("param").name, c.req.valid("query").source),
      200,
    ),
  );
  return app;
}
