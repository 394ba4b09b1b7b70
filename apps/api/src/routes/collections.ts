// GET /v1/collections: collections with their document and chunk counts.
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { CollectionsResponse, type LoreContext, listCollections } from "@lore/core";
import { visibleCollections } from "../access";
import type { AppEnv } from "../env";

const route = createRoute({
  method: "get",
  path: "/v1/collections",
  summary: "List collections",
  responses: {
    200: {
      description: "Collections",
      content: { "application/json": { schema: CollectionsResponse } },
    },
  },
});

export function collectionRoutes(context: LoreContext): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  app.openapi(route, async (c) => {
    // Any valid key may list collections; a collection-limited key sees only its own.
    const allowed = visibleCollections(c);
    const rows = await listCollections(context);
    const visible = allowed ? rows.filter((row) => allowed.includes(row.name)) : rows;
    return c.json({ collections: visible.map(({ id: _id, ...collection }) => collection) }, 200);
  });
  return app;
}
