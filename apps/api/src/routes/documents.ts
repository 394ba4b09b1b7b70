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
import { requireScope, useCollection } from "../access";
import type { AppEnv } from "../env";
import { Problem } from "../problem";
import { jsonBody, problems } from "./openapi-bodies";

const CollectionParam = z.object({
  name: z
    .string()
    .min(1)
    .max(63)
    .regex(/^[a-z0-9][a-z0-9_-]*$/, 'lowercase letters, digits, "-" or "_"'),
});

/** Metadata is stored as jsonb with every document; keep it small (depth is bounded for every body). */
const MAX_METADATA_BYTES = 64 * 1024;

const PutDocumentBody = PutDocumentRequest.refine(
  (request) =>
    request.metadata === undefined ||
    Buffer.byteLength(JSON.stringify(request.metadata)) <= MAX_METADATA_BYTES,
  { path: ["metadata"], message: `must be at most ${MAX_METADATA_BYTES} bytes as JSON` },
);

const putRoute = createRoute({
  method: "put",
  path: "/v1/collections/{name}/documents",
  summary: "Upsert one document by source: unchanged content writes nothing",
  middleware: requireScope("ingest"),
  request: { params: CollectionParam, body: jsonBody(PutDocumentBody) },
  responses: {
    200: {
      description: "Written (or unchanged)",
      content: { "application/json": { schema: PutDocumentResponse } },
    },
    ...problems(Problem, [400, 401, 403, 409, 413, 429, 503]),
  },
});

const deleteRoute = createRoute({
  method: "delete",
  path: "/v1/collections/{name}/documents",
  summary: "Delete one document, with its chunks, by source",
  middleware: requireScope("ingest"),
  request: {
    params: CollectionParam,
    query: z.object({ source: z.string().min(1).max(1024) }),
  },
  responses: {
    200: {
      description: "Deleted",
      content: { "application/json": { schema: DeleteDocumentResponse } },
    },
    ...problems(Problem, [400, 401, 403, 404, 409, 429]),
  },
});

export function documentRoutes(context: LoreContext): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  app.openapi(putRoute, async (c) => {
    const { name } = c.req.valid("param");
    useCollection(c, name);
    return c.json(await putDocument(context, name, c.req.valid("json")), 200);
  });
  app.openapi(deleteRoute, async (c) => {
    const { name } = c.req.valid("param");
    useCollection(c, name);
    return c.json(await deleteDocument(context, name, c.req.valid("query").source), 200);
  });
  return app;
}
