// Where the CLI sends job requests: straight to the database, or to a running Lore over HTTP.
import {
  cancelIngestJob,
  ERROR_CODES,
  type ErrorCode,
  enqueueIngestJob,
  getIngestJob,
  IngestJobList,
  type IngestJobRequest,
  IngestJobView,
  type LoreContext,
  LoreError,
  listIngestJobs,
} from "@lore/core";
import { z } from "zod";

export interface JobClient {
  /** Where the jobs live, for messages. */
  readonly where: string;
  enqueue(request: IngestJobRequest): Promise<string>;
  get(id: string): Promise<IngestJobView>;
  list(limit: number): Promise<IngestJobView[]>;
  cancel(id: string): Promise<IngestJobView>;
}

export function databaseJobClient(context: Pick<LoreContext, "db">, where: string): JobClient {
  return {
    where,
    enqueue: async (request) => (await enqueueIngestJob(context, request)).id,
    get: (id) => getIngestJob(context, id),
    list: (limit) => listIngestJobs(context, { limit }),
    cancel: (id) => cancelIngestJob(context, id),
  };
}

const ProblemBody = z.object({ code: z.string(), detail: z.string() });

/** Talks to a running Lore's HTTP API (sending LORE_API_KEY when the server requires keys). */
export function httpJobClient(baseUrl: string, apiKey?: string): JobClient {
  const call = async <Schema extends z.ZodType>(
    schema: Schema,
    pathname: string,
    init: RequestInit = {},
  ): Promise<z.output<Schema>> => {
    let response: Response;
    try {
      response = await fetch(`${baseUrl}${pathname}`, {
        ...init,
        headers: {
          "content-type": "application/json",
          ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}),
        },
      });
    } catch (error) {
      throw new LoreError(
        "unavailable",
        `The running Lore at ${baseUrl} did not answer (${error instanceof Error ? error.message : String(error)}).`,
      );
    }
    const body: unknown = await response.json().catch(() => undefined);
    if (!response.ok) {
      const problem = ProblemBody.safeParse(body);
      const code = problem.success ? problem.data.code : "internal";
      throw new LoreError(
        (ERROR_CODES as readonly string[]).includes(code) ? (code as ErrorCode) : "internal",
        `The running Lore at ${baseUrl} refused: ${problem.success ? problem.data.detail : `HTTP ${response.status}`}`,
      );
    }
    return schema.parse(body);
  };
  return {
    where: baseUrl,
    enqueue: async (request) =>
      (
        await call(z.object({ jobId: z.string() }), "/v1/ingest-jobs", {
          method: "POST",
          body: JSON.stringify(request),
        })
      ).jobId,
    get: (id) => call(IngestJobView, `/v1/ingest-jobs/${encodeURIComponent(id)}`),
    list: async (limit) => (await call(IngestJobList, `/v1/ingest-jobs?limit=${limit}`)).jobs,
    cancel: () => {
      throw new LoreError(
        "invalid_request",
        `Cancelling needs the database: stop the Lore at ${baseUrl} first, or use DATABASE_URL.`,
      );
    },
  };
}
