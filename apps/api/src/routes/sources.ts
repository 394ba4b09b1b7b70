// /v1/sources: sources (folder, git, web) that keep a collection in sync, their schedules, and syncs on demand.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import {
  CreateSourceRequest,
  createSource,
  deleteSource,
  getSource,
  type IngestRoots,
  type LoreContext,
  LoreError,
  listSources,
  localGitPath,
  resolveCollectionFolder,
  SourceList,
  SourceView,
  SyncSourceResponse,
  syncSource,
  UpdateSourceRequest,
  updateSource,
} from "@lore/core";
import type { Context } from "hono";
import { requireScope, useCollection, visibleCollections } from "../access";
import type { AppEnv } from "../env";
import { Problem } from "../problem";
import { jsonBody, problems } from "./openapi-bodies";

const SourceId = z.object({
  id: z.string().regex(/^src_[A-Za-z0-9_-]+$/, "a source id (src_…)"),
});
const json = <Schema extends z.ZodType>(description: string, schema: Schema) => ({
  description,
  content: { "application/json": { schema } },
});

const create = createRoute({
  method: "post",
  path: "/v1/sources",
  summary:
    "Add a source (folder, git or web) to a collection, with an optional schedule (cron or interval)",
  middleware: requireScope("ingest"),
  request: { body: jsonBody(CreateSourceRequest) },
  responses: {
    201: json("Created", SourceView),
    ...problems(Problem, [400, 401, 403, 409, 413, 429]),
  },
});
const list = createRoute({
  method: "get",
  path: "/v1/sources",
  summary: "Sources with their last sync, next run, status, error and counts",
  middleware: requireScope("ingest"),
  request: { query: z.object({ collection: z.string().optional() }) },
  responses: { 200: json("Sources", SourceList), ...problems(Problem, [400, 401, 403, 429]) },
});
const read = createRoute({
  method: "get",
  path: "/v1/sources/{id}",
  summary: "One source",
  middleware: requireScope("ingest"),
  request: { params: SourceId },
  responses: {
    200: json("The source", SourceView),
    ...problems(Problem, [400, 401, 403, 404, 429]),
  },
});
const update = createRoute({
  method: "patch",
  path: "/v1/sources/{id}",
  summary: "Rename a source, replace its config, or change or clear (null) its schedule",
  middleware: requireScope("ingest"),
  request: { params: SourceId, body: jsonBody(UpdateSourceRequest) },
  responses: {
    200: json("The source", SourceView),
    ...problems(Problem, [400, 401, 403, 404, 409, 429]),
  },
});
const remove = createRoute({
  method: "delete",
  path: "/v1/sources/{id}",
  summary: "Delete a source (its documents stay; a queued or running sync is cancelled)",
  middleware: requireScope("ingest"),
  request: { params: SourceId },
  responses: { 200: json("Deleted", SourceView), ...problems(Problem, [400, 401, 403, 404, 429]) },
});
const sync = createRoute({
  method: "post",
  path: "/v1/sources/{id}/sync",
  summary: "Queue a sync now (an ingest job); a sync already queued or running is returned instead",
  middleware: requireScope("ingest"),
  request: { params: SourceId },
  responses: {
    202: json("Queued", SyncSourceResponse),
    ...problems(Problem, [400, 401, 403, 404, 409, 429]),
  },
});

export function sourceRoutes(
  context: LoreContext,
  options: { roots: IngestRoots },
): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  /** A source of another collection reads as missing, so its existence does not leak. */
  const visibleSource = async (c: Context<AppEnv>, id: string) => {
    const source = await getSource(context, { id });
    const visible = visibleCollections(c);
    if (visible && !visible.includes(source.collection)) {
      throw new LoreError("not_found", `Source ${id} does not exist.`);
    }
    return source;
  };
  /** Folders on the server (a folder source, a git repository by path) must lie in the ingest roots. */
  const checkedConfig = async (
    kind: string,
    collection: string,
    config: Record<string, unknown>,
  ): Promise<Record<string, unknown>> => {
    if (kind === "folder" && typeof config.path === "string") {
      return {
        ...config,
        path: await resolveCollectionFolder(config.path, collection, options.roots),
      };
    }
    const local =
      kind === "git" && typeof config.url === "string" ? localGitPath(config.url) : undefined;
    if (local !== undefined) {
      return { ...config, url: await resolveCollectionFolder(local, collection, options.roots) };
    }
    return config;
  };
  app.openapi(create, async (c) => {
    const request = c.req.valid("json");
    useCollection(c, request.collection);
    const config = await checkedConfig(request.kind, request.collection, request.config);
    const source = await createSource(context, { ...request, config } as CreateSourceRequest);
    return c.json(source, 201);
  });
  app.openapi(list, async (c) => {
    const { collection } = c.req.valid("query");
    if (collection) useCollection(c, collection);
    const visible = visibleCollections(c);
    const collections = collection ? [collection] : visible;
    const sources = await listSources(context, collections ? { collections } : {});
    return c.json({ sources }, 200);
  });
  app.openapi(read, async (c) => c.json(await visibleSource(c, c.req.valid("param").id), 200));
  app.openapi(update, async (c) => {
    const { id } = c.req.valid("param");
    const existing = await visibleSource(c, id);
    const request = c.req.valid("json");
    const config = request.config
      ? await checkedConfig(existing.kind, existing.collection, request.config)
      : undefined;
    const source = await updateSource(context, {
      id,
      update: { ...request, ...(config ? { config } : {}) },
    });
    return c.json(source, 200);
  });
  app.openapi(remove, async (c) => {
    const { id } = c.req.valid("param");
    await visibleSource(c, id);
    return c.json(await deleteSource(context, { id }), 200);
  });
  app.openapi(sync, async (c) => {
    const { id } = c.req.valid("param");
    await visibleSource(c, id);
    return c.json(await syncSource(context, { id }), 202);
  });
  return app;
}
