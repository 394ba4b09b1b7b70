// POST/GET /v1/ingest-jobs: queue a folder ingest (inside the ingest roots only) and watch its progress.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import {
  enqueueIngestJob,
  getIngestJob,
  IngestJobList,
  IngestJobRequest,
  IngestJobStatus,
  IngestJobView,
  type IngestRoots,
  type LoreContext,
  LoreError,
  listIngestJobs,
  resolveCollectionFolder,
} from "@lore/core";
import { requireScope, useCollection, visibleCollections } from "../access";
import type { AppEnv } from "../env";
import { Problem } from "../problem";
import { jsonBody, problems } from "./openapi-bodies";

const JobId = z.object({ id: z.string().regex(/^job_[A-Za-z0-9_-]+$/, "a job id (job_…)") });

const createJob = createRoute({
  method: "post",
  path: "/v1/ingest-jobs",
  summary:
    "Queue an ingest of a folder on the server (inside LORE_INGEST_ROOTS, or the collection's LORE_COLLECTION_INGEST_ROOTS)",
  middleware: requireScope("ingest"),
  request: { body: jsonBody(IngestJobRequest) },
  responses: {
    202: {
      description: "Queued",
      content: { "application/json": { schema: z.object({ jobId: z.string() }) } },
    },
    ...problems(Problem, [400, 401, 403, 413, 429]),
  },
});

const readJob = createRoute({
  method: "get",
  path: "/v1/ingest-jobs/{id}",
  summary: "An ingest job's status, progress, error and summary",
  middleware: requireScope("ingest"),
  request: { params: JobId },
  responses: {
    200: { description: "The job", content: { "application/json": { schema: IngestJobView } } },
    ...problems(Problem, [400, 401, 403, 404, 429]),
  },
});

const listJobs = createRoute({
  method: "get",
  path: "/v1/ingest-jobs",
  summary: "Recent ingest jobs, newest first",
  middleware: requireScope("ingest"),
  request: {
    query: z.object({
      limit: z.coerce.number().int().min(1).max(200).default(20),
      status: IngestJobStatus.optional(),
    }),
  },
  responses: {
    200: { description: "Jobs", content: { "application/json": { schema: IngestJobList } } },
    ...problems(Problem, [400, 401, 403, 429]),
  },
});

export function ingestJobRoutes(
  context: LoreContext,
  options: { roots: IngestRoots },
): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  app.openapi(createJob, async (c) => {
    const request = c.req.valid("json");
    useCollection(c, request.collection);
    const folder = await resolveCollectionFolder(request.path, request.collection, options.roots);
    const job = await enqueueIngestJob(context, { ...request, path: folder });
    return c.json({ jobId: job.id }, 202);
  });
  app.openapi(readJob, async (c) => {
    const { id } = c.req.valid("param");
    const job = await getIngestJob(context, id);
    const visible = visibleCollections(c);
    // Another collection's job reads as missing, with the same words, so its existence does not leak.
    if (visible && !visible.includes(job.collection)) {
      throw new LoreError("not_found", `Job ${id} does not exist.`);
    }
    return c.json(job, 200);
  });
  app.openapi(listJobs, async (c) => {
    const query = c.req.valid("query");
    const visible = visibleCollections(c);
    const jobs = await listIngestJobs(context, {
      limit: query.limit,
      ...(visible ? { collections: visible } : {}),
      ...(query.status ? { status: query.status } : {}),
    });
    return c.json({ jobs }, 200);
  });
  return app;
}
